package harness.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OrtBatchSessionTest {

    private static String resource(String name) throws Exception {
        return Path.of(OrtBatchSessionTest.class.getResource("/" + name).toURI()).toString();
    }

    @Test
    void runsAFloatAndAStringInputFromDirectBuffers() throws Exception {
        ByteBuffer x = ByteBuffer.allocateDirect(4 * Float.BYTES).order(ByteOrder.nativeOrder());
        x.asFloatBuffer().put(new float[] {0f, 1.5f, -2f, 1e-8f});
        try (OrtBatchSession session = new OrtBatchSession(resource("add_one.onnx"), 1, 1, "ALL_OPT")) {
            assertArrayEquals(new String[] {"x", "names"}, session.inputNames());
            assertArrayEquals(new String[] {"FLOAT", "STRING"}, session.inputTypes());
            BatchOutputs out = session.run(
                    new String[] {"x", "names"},
                    new Object[] {x, new String[] {"a", ""}},
                    new String[] {"FLOAT", "STRING"},
                    new long[][] {{2, 2}, {2}});
            assertEquals(2, out.size());
            assertEquals("y", out.names.get(0));
            assertArrayEquals(new long[] {2, 2}, out.shapes.get(0));
            FloatBuffer y = ((ByteBuffer) out.data.get(0)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            float[] values = new float[4];
            y.get(values);
            assertArrayEquals(new float[] {1f, 2.5f, -1f, 1f + 1e-8f}, values);
            assertArrayEquals(new String[] {"a", ""}, (String[]) out.data.get(1));
        }
    }

    @Test
    void reportsItsOnnxRuntimeVersion() {
        assertEquals("1.29.0", OrtBatchSession.version());
    }
}
