package harness.bridge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The named inputs of one {@link BatchScorer#score} call, read the way a scorer needs them: one input's values as
 * {@code double[]} or {@code String[]}, or all of them as a row-major feature matrix. No element crosses the bridge
 * on its own: the caller's direct buffers are read here, in Java.
 */
final class Inputs {

    /** Turns a string column into numbers for a model that takes numbers (e.g. LightGBM category codes). */
    interface StringEncoder {
        double[] encode(int featureIndex, String featureName, String[] values);
    }

    final String[] names;
    final Object[] data;
    final String[] types;
    final long[][] shapes;

    Inputs(String[] names, Object[] data, String[] types, long[][] shapes) {
        if (names.length != data.length || names.length != types.length || names.length != shapes.length) {
            throw new IllegalArgumentException("score(): names, data, elementTypes and shapes must have one entry per "
                    + "input; got " + names.length + ", " + data.length + ", " + types.length + ", " + shapes.length);
        }
        this.names = names;
        this.data = data;
        this.types = types;
        this.shapes = shapes;
    }

    int size() {
        return names.length;
    }

    int indexOf(String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    boolean isString(int i) {
        return "STRING".equals(types[i]);
    }

    /** Rows of the batch: the first dimension, which every input must share. */
    int rows() {
        int rows = -1;
        for (int i = 0; i < shapes.length; i++) {
            int r = shapes[i].length == 0 ? 1 : Math.toIntExact(shapes[i][0]);
            if (rows >= 0 && r != rows) {
                throw new IllegalArgumentException("inputs disagree on the number of rows: '" + names[0] + "' has "
                        + rows + ", '" + names[i] + "' has " + r);
            }
            rows = r;
        }
        return Math.max(rows, 0);
    }

    long elements(int i) {
        long count = 1;
        for (long d : shapes[i]) {
            count *= d;
        }
        return count;
    }

    /** Columns per row of input {@code i}: the product of its dimensions after the first. */
    int width(int i) {
        long width = 1;
        for (int d = 1; d < shapes[i].length; d++) {
            width *= shapes[i][d];
        }
        return Math.toIntExact(width);
    }

    /** The input's values as float64, row-major (NaN where a float input had NaN). */
    double[] doubles(int i) {
        if (isString(i)) {
            throw new IllegalArgumentException("input '" + names[i] + "' is a string input where numbers are needed");
        }
        return toDoubles(buffer(data[i], names[i]), types[i], Math.toIntExact(elements(i)), names[i]);
    }

    String[] strings(int i) {
        if (!isString(i)) {
            throw new IllegalArgumentException("input '" + names[i] + "' is " + types[i] + " where strings are needed");
        }
        return toStrings(data[i]);
    }

    /**
     * A row-major {@code [rows, featureCount]} float64 matrix: either the one input of that shape, or one column
     * input per feature, taken by the model's feature names when every name is an input, else in the given order.
     */
    double[] featureMatrix(String[] featureNames, int featureCount, StringEncoder strings) {
        int rows = rows();
        if (size() == 1 && width(0) == featureCount && (shapes[0].length == 2 || featureCount == 1)) {
            if (isString(0)) {
                return strings.encode(0, names[0], strings(0));
            }
            return doubles(0);
        }
        int[] order = new int[featureCount];
        boolean byName = featureNames != null && featureNames.length == featureCount;
        for (int f = 0; byName && f < featureCount; f++) {
            order[f] = indexOf(featureNames[f]);
            byName = order[f] >= 0;
        }
        if (!byName) {
            if (size() != featureCount) {
                throw new IllegalArgumentException("the model has " + featureCount + " features "
                        + (featureNames == null ? "" : Arrays.toString(featureNames) + " ") + "but the batch has "
                        + size() + " inputs " + Arrays.toString(names)
                        + ": pass one [rows, features] matrix or one column per feature");
            }
            for (int f = 0; f < featureCount; f++) {
                order[f] = f;
            }
        }
        double[] matrix = new double[rows * featureCount];
        for (int f = 0; f < featureCount; f++) {
            int input = order[f];
            if (width(input) != 1) {
                throw new IllegalArgumentException("input '" + names[input] + "' has shape "
                        + Arrays.toString(shapes[input]) + "; a feature column must be [rows] or [rows, 1]");
            }
            double[] column = isString(input)
                    ? strings.encode(f, featureNames == null ? names[input] : featureNames[f], strings(input))
                    : doubles(input);
            for (int r = 0; r < rows; r++) {
                matrix[r * featureCount + f] = column[r];
            }
        }
        return matrix;
    }

    static ByteBuffer buffer(Object data, String name) {
        if (!(data instanceof ByteBuffer buffer)) {
            throw new IllegalArgumentException("input '" + name + "' must be a direct ByteBuffer, got "
                    + (data == null ? "null" : data.getClass().getName()));
        }
        return buffer.duplicate().order(ByteOrder.nativeOrder());
    }

    /** Reads {@code count} elements of ONNX element type {@code type} from a native-order buffer, as float64. */
    static double[] toDoubles(ByteBuffer buffer, String type, int count, String name) {
        double[] out = new double[count];
        ByteBuffer b = buffer.slice().order(ByteOrder.nativeOrder());
        switch (type) {
            case "DOUBLE" -> b.asDoubleBuffer().get(out, 0, count);
            case "FLOAT" -> {
                java.nio.FloatBuffer f = b.asFloatBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = f.get(i);
                }
            }
            case "INT64" -> {
                java.nio.LongBuffer l = b.asLongBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = l.get(i);
                }
            }
            case "UINT64" -> {
                java.nio.LongBuffer l = b.asLongBuffer();
                for (int i = 0; i < count; i++) {
                    long v = l.get(i);
                    out[i] = v >= 0 ? v : ((double) (v >>> 1)) * 2.0 + (v & 1);
                }
            }
            case "INT32", "UINT32" -> {
                IntBuffer ints = b.asIntBuffer();
                boolean unsigned = type.startsWith("U");
                for (int i = 0; i < count; i++) {
                    out[i] = unsigned ? Integer.toUnsignedLong(ints.get(i)) : ints.get(i);
                }
            }
            case "INT16", "UINT16", "FLOAT16", "BFLOAT16" -> {
                java.nio.ShortBuffer s = b.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    short v = s.get(i);
                    out[i] = switch (type) {
                        case "INT16" -> v;
                        case "UINT16" -> v & 0xffff;
                        case "FLOAT16" -> halfToFloat(v);
                        default -> Float.intBitsToFloat((v & 0xffff) << 16);
                    };
                }
            }
            case "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = float8ToDouble(b.get(i), type);
                }
            }
            case "INT8", "UINT8", "BOOL" -> {
                for (int i = 0; i < count; i++) {
                    byte v = b.get(i);
                    out[i] = type.equals("INT8") ? v : type.equals("UINT8") ? (v & 0xff) : (v != 0 ? 1 : 0);
                }
            }
            default -> throw new IllegalArgumentException("input '" + name + "' has element type " + type
                    + ", which this scorer does not read as numbers");
        }
        return out;
    }

    /** A STRING input: {@code String[]} as is, or {@code Object[]{utf8Bytes, int32Lengths}} decoded (a length of
     * -1 is a missing value, {@code null}). */
    static String[] toStrings(Object data) {
        if (data instanceof String[] strings) {
            return strings;
        }
        Object[] blobAndLengths = (Object[]) data;
        ByteBuffer bytes = ((ByteBuffer) blobAndLengths[0]).duplicate();
        IntBuffer lengths = ((ByteBuffer) blobAndLengths[1]).duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
        String[] strings = new String[lengths.remaining()];
        byte[] scratch = new byte[64];
        for (int i = 0, offset = 0; i < strings.length; i++) {
            int length = lengths.get(i);
            if (length < 0) {
                continue;  // missing
            }
            if (scratch.length < length) {
                scratch = new byte[length];
            }
            bytes.get(offset, scratch, 0, length);
            strings[i] = new String(scratch, 0, length, StandardCharsets.UTF_8);
            offset += length;
        }
        return strings;
    }

    /** IEEE half precision bits to float (exact, subnormals included). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f;
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** An ONNX float8 value (raw bits) as a double: E4M3FN, E4M3FNUZ, E5M2 or E5M2FNUZ. */
    static double float8ToDouble(byte raw, String type) {
        int bits = raw & 0xff;
        if (type.equals("FLOAT8E5M2")) {
            return halfToFloat((short) (bits << 8));  // the top byte of an IEEE half
        }
        boolean unsignedZero = type.endsWith("FNUZ");
        if (unsignedZero && bits == 0x80) {
            return Double.NaN;  // FNUZ: the negative-zero pattern is the only NaN
        }
        int exponentBits = type.startsWith("FLOAT8E4M3") ? 4 : 5;
        int mantissaBits = 7 - exponentBits;
        int bias = (exponentBits == 4 ? 7 : 15) + (unsignedZero ? 1 : 0);
        int exponent = (bits >>> mantissaBits) & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        if (type.equals("FLOAT8E4M3FN") && (bits & 0x7f) == 0x7f) {
            return Double.NaN;  // E4M3FN: S.1111.111 is NaN, there is no infinity
        }
        double magnitude = exponent == 0
                ? mantissa * Math.pow(2, 1 - bias - mantissaBits)
                : (1 + mantissa / (double) (1 << mantissaBits)) * Math.pow(2, exponent - bias);
        return (bits & 0x80) != 0 ? -magnitude : magnitude;
    }

    /** Float to IEEE half precision bits, rounding to nearest even. */
    static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        if (Float.isNaN(value)) {
            return (short) (sign | 0x7e00);
        }
        float abs = Math.abs(value);
        if (abs >= 65520f) {
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x1p-14f) {
            return (short) (sign | (int) Math.rint(abs * 0x1p24f));
        }
        int half = ((((bits >>> 23) & 0xff) - 112) << 10) | ((bits & 0x7fffff) >>> 13);
        int rest = bits & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }

    /** Float to bfloat16 bits, rounding to nearest even. */
    static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
