package harness.bridge;

import java.util.ArrayList;
import java.util.List;

/** The outputs of one batch, in the session's output order: plain arrays the Python side reads directly. */
public final class BatchOutputs {

    public final List<String> names;
    /** An OnnxJavaType name (FLOAT, INT64, STRING, ...), or SEQUENCE_OF_MAPS. */
    public final List<String> elementTypes;
    public final List<long[]> shapes;
    /** A direct native-order ByteBuffer for numeric data, a String[] for strings. */
    public final List<Object> data;
    /** For SEQUENCE_OF_MAPS: the map keys, one per matrix column; otherwise null. */
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

    public int size() {
        return names.size();
    }
}
