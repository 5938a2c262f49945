package faustgen;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Reads one check per line on stdin:
 *   name TAB LEVEL TAB history TAB candidate
 * where history is versions separated by ';' (may be empty) and a version is
 * files separated by ',' (the last file is the root; earlier ones define
 * referenced named types). Writes one line per check:
 *   name TAB compatible|incompatible|error TAB detail
 * Levels are applied the way Confluent's AvroCompatibilityChecker does.
 */
public final class CompatCheck {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) continue;
      String[] parts = line.split("\t", -1);
      String name = parts[0];
      try {
        String level = parts[1];
        List<Schema> history = new ArrayList<>();
        if (!parts[2].isEmpty()) {
          for (String version : parts[2].split(";")) history.add(parse(version));
        }
        Schema candidate = parse(parts[3]);
        String detail = check(history, candidate, level);
        System.out.println(name + "\t" + (detail.isEmpty() ? "compatible" : "incompatible") + "\t" + detail);
      } catch (Exception e) {
        System.out.println(name + "\terror\t" + e.toString().replace('\n', ' ').replace('\t', ' '));
      }
    }
  }

  private static Schema parse(String version) throws Exception {
    Schema.Parser parser = new Schema.Parser();
    Schema last = null;
    for (String file : version.split(",")) last = parser.parse(new File(file));
    return last;
  }

  private static String check(List<Schema> history, Schema candidate, String level) {
    if (level.equals("NONE") || history.isEmpty()) return "";
    boolean transitive = level.endsWith("_TRANSITIVE");
    String base = level.replace("_TRANSITIVE", "");
    List<Schema> against = transitive ? history : history.subList(history.size() - 1, history.size());
    StringBuilder out = new StringBuilder();
    for (Schema old : against) {
      if (base.equals("BACKWARD") || base.equals("FULL")) append(out, SchemaCompatibility.checkReaderWriterCompatibility(candidate, old));
      if (base.equals("FORWARD") || base.equals("FULL")) append(out, SchemaCompatibility.checkReaderWriterCompatibility(old, candidate));
    }
    return out.toString();
  }

  private static void append(StringBuilder out, SchemaPairCompatibility r) {
    if (r.getType() == SchemaCompatibilityType.COMPATIBLE) return;
    r.getResult().getIncompatibilities().forEach(i -> out.append(i.getType()).append(' ').append(i.getLocation()).append("; "));
  }
}
