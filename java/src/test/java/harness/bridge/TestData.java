package harness.bridge;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** Helpers shared by the bridge's tests. */
final class TestData {
    private TestData() {
    }

    static String resource(String name) throws Exception {
        return Path.of(TestData.class.getResource("/" + name).toURI()).toString();
    }

    static ByteBuffer doubles(double... values) {
        ByteBuffer buffer = BatchOutputs.allocate(values.length * Double.BYTES);
        buffer.asDoubleBuffer().put(values);
        return buffer;
    }

    static ByteBuffer floats(float... values) {
        ByteBuffer buffer = BatchOutputs.allocate(values.length * Float.BYTES);
        buffer.asFloatBuffer().put(values);
        return buffer;
    }

    /** Rows of a small deterministic feature matrix (no java.util.Random: the same numbers on every JDK). */
    static double[] matrix(int rows, int cols) {
        double[] x = new double[rows * cols];
        long state = 12345;
        for (int i = 0; i < x.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            x[i] = ((state >>> 11) * 0x1.0p-53) * 4 - 2;
        }
        return x;
    }

    static double sigmoid(double margin) {
        return 1 / (1 + Math.exp(-margin));
    }
}
