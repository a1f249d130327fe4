package harness.bridge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The outputs of one batch, in the scorer's output order: plain arrays the Python side reads directly. Numeric
 * data is a direct native-order ByteBuffer (numpy reads it with {@code np.frombuffer(memoryview(buffer), dtype)}),
 * strings a {@code String[]}.
 */
public final class BatchOutputs {

    public final List<String> names;
    /**
     * The ONNX element type of the data: FLOAT, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64,
     * BOOL, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ (raw bits in the buffer),
     * STRING; or SEQUENCE_OF_MAPS (a float64 {@code [rows, keys]} matrix with {@link #keys}).
     */
    public final List<String> elementTypes;
    public final List<long[]> shapes;
    /** A direct native-order ByteBuffer for numeric data, a String[] for strings. */
    public final List<Object> data;
    /**
     * Column labels: for SEQUENCE_OF_MAPS the map keys, for a class-probability matrix the class labels, one per
     * column; otherwise null.
     */
    public final List<String[]> keys;

    BatchOutputs(int capacity) {
        names = new ArrayList<>(capacity);
        elementTypes = new ArrayList<>(capacity);
        shapes = new ArrayList<>(capacity);
        data = new ArrayList<>(capacity);
        keys = new ArrayList<>(capacity);
    }

    void add(String name, String elementType, long[] shape, Object values, String[] mapKeys) {
        names.add(name);
        elementTypes.add(elementType);
        shapes.add(shape);
        data.add(values);
        keys.add(mapKeys);
    }

    /** float64 values, row-major, as a DOUBLE output. */
    void addDoubles(String name, long[] shape, double[] values, String[] columnKeys) {
        ByteBuffer buffer = allocate(values.length * Double.BYTES);
        buffer.asDoubleBuffer().put(values);
        add(name, "DOUBLE", shape, buffer, columnKeys);
    }

    /** A float32 {@code [rows, columns]} matrix (what XGBoost returns), as a FLOAT output. */
    void addFloatRows(String name, float[][] rows, int columns) {
        ByteBuffer buffer = allocate(rows.length * columns * Float.BYTES);
        java.nio.FloatBuffer floats = buffer.asFloatBuffer();
        for (float[] row : rows) {
            if (row.length != columns) {
                throw new IllegalStateException("output '" + name + "': a row has " + row.length + " values, expected "
                        + columns);
            }
            floats.put(row);
        }
        add(name, "FLOAT", new long[] {rows.length, columns}, buffer, null);
    }

    void addStrings(String name, String[] values) {
        add(name, "STRING", new long[] {values.length}, values, null);
    }

    static ByteBuffer allocate(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    public int size() {
        return names.size();
    }

    /** The index of output {@code name}, or -1. */
    public int indexOf(String name) {
        return names.indexOf(name);
    }

    /** Output {@code index}'s numeric values as float64 (any numeric element type, float8 decoded). */
    public double[] doubles(int index) {
        Object values = data.get(index);
        if (values instanceof String[]) {
            throw new IllegalArgumentException("output '" + names.get(index) + "' holds strings");
        }
        ByteBuffer buffer = (ByteBuffer) values;
        String type = elementTypes.get(index);
        if (type.equals("SEQUENCE_OF_MAPS")) {
            type = "DOUBLE";
        }
        long count = 1;
        for (long d : shapes.get(index)) {
            count *= d;
        }
        return Inputs.toDoubles(buffer.duplicate().order(ByteOrder.nativeOrder()), type, Math.toIntExact(count),
                names.get(index));
    }
}
