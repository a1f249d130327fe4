package harness.bridge;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime Java session that runs whole batches.
 *
 * <p>Numeric inputs arrive as direct {@link ByteBuffer}s that share memory with the caller's arrays
 * (zero-copy); string inputs as {@code String[]}. Numeric outputs leave as direct, native-order buffers the
 * caller reads without a per-element loop; sequences of maps (skl2onnx's ZipMap) leave as a dense
 * {@code [rows, keys]} float64 matrix plus the keys.
 *
 * <p>Each numeric output is labelled with its ONNX element type (UINT32, FLOAT8E4M3FN, ...), not the Java type
 * ONNX Runtime maps it to: ONNX Runtime Java folds UINT16/UINT32/UINT64 into INT16/INT32/INT64 and every float8
 * type into UNKNOWN, while the buffer holds the right raw bits. Element types newer than FLOAT8E5M2FNUZ (INT4,
 * UINT4, FLOAT4E2M1, ...) ONNX Runtime Java 1.29 does not know at all: it returns no data for them, and
 * {@link #run} refuses such an output with an error that says so.
 */
public final class OrtBatchSession implements BatchScorer {

    /** Bytes per element of each ONNX element type the bridge returns as raw bits. */
    private static final Map<String, Integer> ELEMENT_BYTES = Map.ofEntries(
            Map.entry("FLOAT", 4), Map.entry("DOUBLE", 8), Map.entry("INT8", 1), Map.entry("UINT8", 1),
            Map.entry("INT16", 2), Map.entry("UINT16", 2), Map.entry("INT32", 4), Map.entry("UINT32", 4),
            Map.entry("INT64", 8), Map.entry("UINT64", 8), Map.entry("BOOL", 1), Map.entry("FLOAT16", 2),
            Map.entry("BFLOAT16", 2), Map.entry("FLOAT8E4M3FN", 1), Map.entry("FLOAT8E4M3FNUZ", 1),
            Map.entry("FLOAT8E5M2", 1), Map.entry("FLOAT8E5M2FNUZ", 1), Map.entry("COMPLEX64", 8),
            Map.entry("COMPLEX128", 16));

    private final OrtEnvironment environment;
    private final OrtSession session;

    public OrtBatchSession(String modelPath, int intraOpThreads, int interOpThreads, String optimizationLevel)
            throws OrtException {
        this.environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(interOpThreads);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.valueOf(optimizationLevel));
            this.session = environment.createSession(modelPath, options);
        }
    }

    public String[] inputNames() throws OrtException {
        return session.getInputInfo().keySet().toArray(new String[0]);
    }

    /**
     * The ONNX element type each input declares (FLOAT, INT64, STRING, UINT16, ...). Not the Java type ONNX
     * Runtime would map it to: that folds unsigned types into signed ones it cannot create.
     */
    public String[] inputTypes() throws OrtException {
        return elementTypes(session.getInputInfo().values());
    }

    @Override
    public String[] outputNames() throws OrtException {
        return session.getOutputInfo().keySet().toArray(new String[0]);
    }

    /**
     * The ONNX element type each output declares, as {@link #inputTypes()} (UNDEFINED for a type ONNX Runtime Java
     * does not know, such as INT4); a non-tensor output is {@code UNSUPPORTED:} and its kind (for example
     * {@code UNSUPPORTED:SequenceInfo} for a ZipMap).
     */
    public String[] outputTypes() throws OrtException {
        return elementTypes(session.getOutputInfo().values());
    }

    private static String[] elementTypes(java.util.Collection<NodeInfo> infos) {
        List<String> types = new ArrayList<>();
        for (NodeInfo info : infos) {
            if (info.getInfo() instanceof TensorInfo tensorInfo) {
                types.add(onnxElementType(tensorInfo));
            } else {
                types.add("UNSUPPORTED:" + info.getInfo().getClass().getSimpleName());
            }
        }
        return types.toArray(new String[0]);
    }

    /** UINT32, FLOAT8E4M3FN, ...: the ONNX name, without ONNX Runtime's prefix. */
    static String onnxElementType(TensorInfo info) {
        return info.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
    }

    /** {@link #run}, as every {@link BatchScorer} is called. */
    @Override
    public BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes)
            throws OrtException {
        return run(names, data, elementTypes, shapes);
    }

    /**
     * Runs one batch.
     *
     * @param names input names
     * @param data per input: a direct ByteBuffer holding the tensor's raw elements; for a STRING input either a
     *     String[] or {@code Object[]{utf8Bytes, int32Lengths}} (two direct buffers: the strings' UTF-8 bytes end to
     *     end, and each string's byte length), which crosses the bridge without a per-string conversion
     * @param elementTypes per input: an {@link OnnxJavaType} name (FLOAT, DOUBLE, INT64, BOOL, STRING, ...)
     * @param shapes per input: the tensor's shape
     */
    public BatchOutputs run(String[] names, Object[] data, String[] elementTypes, long[][] shapes)
            throws OrtException {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (int i = 0; i < names.length; i++) {
                feed.put(names[i], createTensor(data[i], elementTypes[i], shapes[i]));
            }
            try (OrtSession.Result result = session.run(feed)) {
                return collect(result);
            }
        } finally {
            for (OnnxTensor tensor : feed.values()) {
                tensor.close();
            }
        }
    }

    /**
     * The benchmark's yardstick: {@link #run} timed inside Java, {@code repeats} times, in nanoseconds each. The
     * harness's own call of the same batch, timed from Python, divided by this is the bridge's overhead.
     */
    public long[] timeRuns(String[] names, Object[] data, String[] elementTypes, long[][] shapes, int repeats)
            throws Exception {
        return BatchScorer.time(repeats, () -> run(names, data, elementTypes, shapes));
    }

    private OnnxTensor createTensor(Object data, String elementType, long[] shape) throws OrtException {
        OnnxJavaType type;
        try {
            type = OnnxJavaType.valueOf(elementType);
        } catch (IllegalArgumentException unknown) {
            type = OnnxJavaType.UNKNOWN;
        }
        if (type == OnnxJavaType.UNKNOWN) {
            throw new IllegalArgumentException("ONNX Runtime Java cannot create input tensors of element type "
                    + elementType + " (it creates FLOAT, DOUBLE, INT8, UINT8, INT16, INT32, INT64, BOOL, STRING, "
                    + "FLOAT16 and BFLOAT16 only)");
        }
        if (type == OnnxJavaType.STRING) {
            String[] strings = Inputs.toStrings(data);
            return OnnxTensor.createTensor(environment, strings, shape);
        }
        ByteBuffer buffer = ((ByteBuffer) data).order(ByteOrder.nativeOrder());
        return OnnxTensor.createTensor(environment, buffer, shape, type);
    }

    private static BatchOutputs collect(OrtSession.Result result) throws OrtException {
        BatchOutputs outputs = new BatchOutputs(result.size());
        for (Map.Entry<String, OnnxValue> entry : result) {
            OnnxValue value = entry.getValue();
            if (value instanceof OnnxTensor tensor) {
                addTensor(outputs, entry.getKey(), tensor);
            } else if (value instanceof OnnxSequence sequence) {
                addSequenceOfMaps(outputs, entry.getKey(), sequence);
            } else {
                throw new IllegalArgumentException("output '" + entry.getKey() + "' is a "
                        + value.getType() + ", which the harness does not compare");
            }
        }
        return outputs;
    }

    private static void addTensor(BatchOutputs outputs, String name, OnnxTensor tensor) throws OrtException {
        TensorInfo info = tensor.getInfo();
        if (info.type == OnnxJavaType.STRING) {
            outputs.add(name, info.type.name(), info.getShape(), flattenStrings(tensor.getValue()), null);
            return;
        }
        String elementType = onnxElementType(info);
        if (info.onnxType == TensorInfo.OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED) {
            throw new IllegalArgumentException("output '" + name + "' has an ONNX element type that ONNX Runtime "
                    + "Java " + version() + " does not know (newer than FLOAT8E5M2FNUZ: INT4, UINT4, FLOAT4E2M1, "
                    + "...); it returns no data for it, so the harness cannot read this output from Java");
        }
        // The raw bits, whatever Java type ONNX Runtime maps the element type to (UINT32 as INT32, float8 as UNKNOWN).
        ByteBuffer raw = tensor.getByteBuffer();
        long expected = info.getNumElements() * ELEMENT_BYTES.getOrDefault(elementType, 0);
        if (raw.remaining() != expected) {
            throw new IllegalStateException("output '" + name + "' (" + elementType + ", shape "
                    + java.util.Arrays.toString(info.getShape()) + ") came back with " + raw.remaining()
                    + " bytes from ONNX Runtime Java, expected " + expected);
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(raw.remaining()).order(ByteOrder.nativeOrder());
        copy.put(raw).flip();
        outputs.add(name, elementType, info.getShape(), copy, null);
    }

    /** skl2onnx's ZipMap: one map per row, class key to probability. Densified in key order of the first row. */
    private static void addSequenceOfMaps(BatchOutputs outputs, String name, OnnxSequence sequence)
            throws OrtException {
        List<? extends OnnxValue> rows = sequence.getValue();
        List<Object> keys = new ArrayList<>();
        int rowCount = rows.size();
        ByteBuffer matrix = null;
        for (int r = 0; r < rowCount; r++) {
            OnnxValue row = rows.get(r);
            if (!(row instanceof OnnxMap map)) {
                throw new IllegalArgumentException("output '" + name + "' is a sequence of "
                        + row.getType() + ", the harness compares sequences of maps only");
            }
            Map<?, ?> values = map.getValue();
            if (r == 0) {
                keys.addAll(values.keySet());
                matrix = ByteBuffer.allocateDirect(rowCount * keys.size() * Double.BYTES)
                        .order(ByteOrder.nativeOrder());
            }
            for (Object key : keys) {
                Object probability = values.get(key);
                matrix.putDouble(probability == null ? Double.NaN : ((Number) probability).doubleValue());
            }
        }
        if (matrix == null) {
            matrix = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder());
        }
        matrix.flip();
        String[] keyNames = keys.stream().map(String::valueOf).toArray(String[]::new);
        outputs.add(name, "SEQUENCE_OF_MAPS", new long[] {rowCount, keys.size()}, matrix, keyNames);
    }

    private static String[] flattenStrings(Object value) {
        List<String> flat = new ArrayList<>();
        flattenInto(value, flat);
        return flat.toArray(new String[0]);
    }

    private static void flattenInto(Object value, List<String> flat) {
        if (value instanceof String s) {
            flat.add(s);
        } else if (value instanceof Object[] array) {
            for (Object item : array) {
                flattenInto(item, flat);
            }
        } else {
            throw new IllegalArgumentException("unexpected string tensor element " + value);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }

    @Override
    public String runtimeVersion() {
        return version();
    }

    /** Version of the ONNX Runtime Java library on the class path. */
    public static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }
}
