package harness.bridge;

/**
 * What every JVM scorer of the harness is: one loaded artifact that scores whole batches. Python calls it through
 * JPype; the replayer ({@link ReplayCounterexample}) calls it without Python.
 *
 * <p>A batch is a list of named inputs ({@link #score}): numeric data in direct, native-order {@link
 * java.nio.ByteBuffer}s that share memory with the caller's arrays, strings as {@code String[]}. Each scorer
 * reads them the way its library wants (ONNX Runtime: tensors; JPMML and H2O: one column per input field;
 * XGBoost and LightGBM: a row-major feature matrix, either one {@code [rows, features]} input or one column per
 * feature) and loops over rows in Java, so a batch crosses the bridge once.
 *
 * <p>The instance method is {@code runtimeVersion()}, not {@code version()}: the existing scorers' static
 * {@code version()} (which Python calls) cannot coexist with an instance method of the same signature.
 */
public interface BatchScorer extends AutoCloseable {

    /** The inputs the artifact reads, in its order (ONNX inputs, PMML input fields, the model's features). */
    String[] inputNames() throws Exception;

    /** The outputs {@link #score} returns, in that order. */
    String[] outputNames() throws Exception;

    /**
     * Scores one batch.
     *
     * @param names input names (matched by name against {@link #inputNames()})
     * @param data per input: a direct ByteBuffer of raw elements (its byte order is set to native here), or for a
     *     STRING input a {@code String[]} ({@code null} = missing) or {@code Object[]{utf8Bytes, int32Lengths}}
     * @param elementTypes per input: an ONNX element type name (FLOAT, DOUBLE, INT64, INT32, BOOL, STRING, ...)
     * @param shapes per input: its shape, rows first ({@code [rows]} or {@code [rows, 1]} for a column, {@code
     *     [rows, features]} for a matrix)
     * @return the outputs, named, typed and shaped, with numeric data in direct native-order buffers
     */
    BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes) throws Exception;

    /** The scoring library's version (for example {@code 1.29.0} for ONNX Runtime Java). */
    String runtimeVersion();

    @Override
    void close() throws Exception;

    /** One scoring call, as {@link #time} repeats it. */
    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    /** Nanoseconds of each of {@code repeats} calls, timed in Java: what {@code make bench} compares the harness's
     * own calls with. */
    static long[] time(int repeats, Call call) throws Exception {
        long[] nanos = new long[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            call.run();
            nanos[i] = System.nanoTime() - start;
        }
        return nanos;
    }
}
