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
    void reportsItsOnnxRuntimeVersion() throws Exception {
        assertEquals("1.29.0", OrtBatchSession.version());
        try (OrtBatchSession session = new OrtBatchSession(resource("add_one.onnx"), 1, 1, "ALL_OPT")) {
            assertEquals("1.29.0", session.runtimeVersion());
        }
    }

    @Test
    void scoreIsRunThroughTheBatchScorerInterface() throws Exception {
        try (BatchScorer scorer = new OrtBatchSession(resource("add_one.onnx"), 1, 1, "ALL_OPT")) {
            assertArrayEquals(new String[] {"y", "names_out"}, scorer.outputNames());
            BatchOutputs out = scorer.score(new String[] {"x", "names"},
                    new Object[] {TestData.floats(1f, 2f), new String[] {"z"}},
                    new String[] {"FLOAT", "STRING"}, new long[][] {{1, 2}, {1}});
            assertArrayEquals(new double[] {2, 3}, out.doubles(0), 0.0);
            assertEquals("FLOAT", out.elementTypes.get(0));
            assertArrayEquals(new String[] {"z"}, (String[]) out.data.get(1));
        }
    }

    /**
     * ONNX Runtime Java labels UINT16/32/64 outputs INT16/32/64 and every float8 output UNKNOWN; the bridge reports
     * the ONNX element type, with the raw bits in the buffer.
     */
    @Test
    void reportsTheOnnxElementTypeOfUnsignedAndFloat8Outputs() throws Exception {
        try (OrtBatchSession session = new OrtBatchSession(resource("element_types.onnx"), 1, 1, "ALL_OPT")) {
            String[] types = {"UINT16", "UINT32", "UINT64", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                "FLOAT8E5M2FNUZ"};
            assertArrayEquals(types, session.outputTypes());
            BatchOutputs out = session.run(new String[] {"x"},
                    new Object[] {TestData.doubles(3e9, 1.5, 448, -2, 96)}, new String[] {"DOUBLE"}, new long[][] {{5}});
            assertArrayEquals(types, out.elementTypes.toArray(new String[0]));
            ByteBuffer u32 = ((ByteBuffer) out.data.get(1)).order(ByteOrder.nativeOrder());
            assertEquals(3_000_000_000L, Integer.toUnsignedLong(u32.getInt(0)));
            assertEquals(3e9, out.doubles(1)[0]);  // read as unsigned, not as -1294967296
            assertEquals(3e9, out.doubles(2)[0]);
            ByteBuffer e4m3fn = (ByteBuffer) out.data.get(3);
            assertEquals(5, e4m3fn.remaining());
            assertEquals(0x3c, e4m3fn.get(1) & 0xff);  // 1.5 in E4M3FN
            assertEquals(0x7e, e4m3fn.get(2) & 0xff);  // 448, its largest finite value
            assertEquals(448.0, out.doubles(3)[2]);
            assertEquals(240.0, out.doubles(4)[2], "E4M3FNUZ saturates at 240");
            for (int output = 3; output < 7; output++) {
                double[] values = out.doubles(output);
                assertArrayEquals(new double[] {1.5, -2, 96}, new double[] {values[1], values[3], values[4]}, 0.0,
                        types[output]);
            }
        }
    }

    @Test
    void refusesAnOutputTypeOnnxRuntimeJavaDoesNotKnow() throws Exception {
        try (OrtBatchSession session = new OrtBatchSession(resource("int4_output.onnx"), 1, 1, "ALL_OPT")) {
            assertArrayEquals(new String[] {"UNDEFINED"}, session.outputTypes());
            IllegalArgumentException error = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> session.run(new String[] {"x"},
                            new Object[] {TestData.doubles(1, 2)}, new String[] {"DOUBLE"}, new long[][] {{2}}));
            org.junit.jupiter.api.Assertions.assertTrue(error.getMessage().contains("does not know"),
                    error.getMessage());
        }
    }

    @Test
    void refusesAnInputTypeItCannotCreateWithAClearMessage() throws Exception {
        try (OrtBatchSession session = new OrtBatchSession(resource("element_types.onnx"), 1, 1, "ALL_OPT")) {
            IllegalArgumentException error = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> session.run(new String[] {"x"},
                            new Object[] {TestData.doubles(1)}, new String[] {"UINT32"}, new long[][] {{1}}));
            org.junit.jupiter.api.Assertions.assertTrue(error.getMessage().contains("UINT32"), error.getMessage());
        }
    }
}
