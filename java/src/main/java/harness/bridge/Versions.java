package harness.bridge;

import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.util.Properties;

/** Library versions, read from the jar a class was loaded from (so an alternative jar reports its own). */
final class Versions {
    private Versions() {
    }

    /**
     * The version in {@code META-INF/maven/GROUP/ARTIFACT/pom.properties} of the jar that holds {@code anchor}, else
     * the jar manifest's Implementation-Version, else "unknown".
     */
    static String ofJar(Class<?> anchor, String groupId, String artifactId) {
        try {
            CodeSource source = anchor.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                String location = source.getLocation().toString();
                if (location.endsWith(".jar")) {
                    URL pom = new URL("jar:" + location + "!/META-INF/maven/" + groupId + "/" + artifactId
                            + "/pom.properties");
                    try (InputStream in = pom.openStream()) {
                        Properties properties = new Properties();
                        properties.load(in);
                        String version = properties.getProperty("version");
                        if (version != null) {
                            return version;
                        }
                    } catch (java.io.IOException absent) {
                        // no pom.properties in that jar: fall through to the manifest
                    }
                }
            }
        } catch (Exception ignored) {
            // fall through
        }
        Package pkg = anchor.getPackage();
        String version = pkg == null ? null : pkg.getImplementationVersion();
        return version == null ? "unknown" : version;
    }
}
