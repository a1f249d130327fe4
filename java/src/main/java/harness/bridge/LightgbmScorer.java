package harness.bridge;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.microsoft.ml.lightgbm.PredictionType;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_double;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_float;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_int;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_long_long;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_p_void;
import com.microsoft.ml.lightgbm.SWIGTYPE_p_void;
import com.microsoft.ml.lightgbm.lightgbmlib;
import io.github.metarank.lightgbm4j.LGBMBooster;
import io.github.metarank.lightgbm4j.LGBMException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A LightGBM text model file (what MLflow's lightgbm flavor saves, {@code model.lgb}) scored over whole batches with
 * LightGBM's {@code LGBM_BoosterPredictForMat}, through lightgbm4j's natives and SWIG bindings.
 *
 * <p>lightgbm4j 4.3.0-1's own {@code LGBMBooster.predictForMat} is not used: it sizes its output buffer as 2 values
 * per row whatever the number of classes, so a model of 3+ classes writes past the buffer and crashes the JVM
 * (SIGSEGV in lib_lightgbm.so). This scorer sizes it with {@code LGBM_BoosterCalcNumPredict}.
 *
 * <p>Features arrive as a row-major matrix in a direct native-order buffer, float64 or float32 (passed to LightGBM
 * in that type, as LightGBM's Python package does), NaN = missing. Categorical features arrive as their integer
 * codes, which LightGBM's own categorical splits read; through {@link #score} a STRING column of a pandas-categorical
 * feature is turned into codes here, with the model's {@code pandas_categorical} list (an unseen category becomes
 * NaN, as in LightGBM's Python package).
 *
 * <p>Two outputs, both DOUBLE {@code [rows, k]} with k = {@link #classCount()} (1 for binary and regression):
 * {@code prediction} (C_API_PREDICT_NORMAL: probabilities, the positive class's for binary; the value for
 * regression) and {@code raw_score} (C_API_PREDICT_RAW_SCORE).
 */
public final class LightgbmScorer implements BatchScorer {

    public static final String PREDICTION = "prediction";
    public static final String RAW_SCORE = "raw_score";

    private final SWIGTYPE_p_p_void handle;
    private boolean closed;
    private final String parameters;
    private final String[] featureNames;
    private final int featureCount;
    private final int classCount;
    /** Per feature index: its pandas categories (category -> code), for pandas-categorical features only. */
    private final Map<Integer, Map<String, Integer>> categoryCodes = new HashMap<>();

    public LightgbmScorer(String modelPath) throws LGBMException, IOException {
        this(modelPath, "");
    }

    /**
     * @param predictParameters LightGBM prediction parameters, e.g. {@code "num_threads=1"}; "" for LightGBM's
     *     defaults
     */
    public LightgbmScorer(String modelPath, String predictParameters) throws LGBMException, IOException {
        LGBMBooster.loadNative();  // lib_lightgbm.so and its SWIG wrapper, unpacked from the lightgbm4j jar
        this.parameters = predictParameters == null ? "" : predictParameters;
        this.handle = lightgbmlib.new_voidpp();
        SWIGTYPE_p_int iterations = lightgbmlib.new_intp();
        try {
            check(lightgbmlib.LGBM_BoosterCreateFromModelfile(modelPath, iterations, handle));
        } catch (LGBMException error) {
            lightgbmlib.delete_voidpp(handle);
            throw error;
        } finally {
            lightgbmlib.delete_intp(iterations);
        }
        try {
            this.featureCount = intOut(out -> lightgbmlib.LGBM_BoosterGetNumFeature(booster(), out));
            this.classCount = intOut(out -> lightgbmlib.LGBM_BoosterGetNumClasses(booster(), out));
            this.featureNames = readModelText(Path.of(modelPath));
        } catch (LGBMException | IOException | RuntimeException error) {
            close();
            throw error;
        }
    }

    private SWIGTYPE_p_void booster() {
        return lightgbmlib.voidpp_value(handle);
    }

    private interface IntCall {
        int call(SWIGTYPE_p_int out);
    }

    private static int intOut(IntCall call) throws LGBMException {
        SWIGTYPE_p_int out = lightgbmlib.new_intp();
        try {
            check(call.call(out));
            return lightgbmlib.intp_value(out);
        } finally {
            lightgbmlib.delete_intp(out);
        }
    }

    private static void check(int status) throws LGBMException {
        if (status < 0) {
            throw new LGBMException(lightgbmlib.LGBM_GetLastError());
        }
    }

    /**
     * The text model's {@code feature_names} (returned), {@code feature_infos} (categorical ones are not [min:max])
     * and {@code pandas_categorical}.
     */
    private String[] readModelText(Path modelPath) throws IOException {
        String[] names = null;
        String[] infos = null;
        JsonElement pandas = null;
        for (String line : Files.readAllLines(modelPath)) {
            if (names == null && line.startsWith("feature_names=")) {
                names = line.substring("feature_names=".length()).split(" ");
            } else if (infos == null && line.startsWith("feature_infos=")) {
                infos = line.substring("feature_infos=".length()).split(" ");
            } else if (line.startsWith("pandas_categorical:")) {
                pandas = JsonParser.parseString(line.substring("pandas_categorical:".length()));
            }
        }
        if (names == null || names.length != featureCount) {
            names = new String[featureCount];
            for (int f = 0; f < featureCount; f++) {
                names[f] = "Column_" + f;  // LightGBM's own default names
            }
        }
        if (infos == null || pandas == null || !pandas.isJsonArray()) {
            return names;
        }
        List<Integer> categorical = new ArrayList<>();
        for (int f = 0; f < infos.length; f++) {
            if (!infos[f].startsWith("[") && !infos[f].equals("none")) {
                categorical.add(f);
            }
        }
        JsonArray lists = pandas.getAsJsonArray();
        for (int j = 0; j < Math.min(lists.size(), categorical.size()); j++) {
            Map<String, Integer> codes = new HashMap<>();
            JsonArray categories = lists.get(j).getAsJsonArray();
            for (int code = 0; code < categories.size(); code++) {
                JsonElement category = categories.get(code);
                codes.put(category.isJsonPrimitive() && category.getAsJsonPrimitive().isString()
                        ? category.getAsString() : category.toString(), code);
            }
            categoryCodes.put(categorical.get(j), codes);
        }
        return names;
    }

    @Override
    public String[] inputNames() {
        return featureNames.clone();
    }

    public int featureCount() {
        return featureCount;
    }

    /** Columns of each output: the number of classes for multiclass models, else 1. */
    public int classCount() {
        return classCount;
    }

    /** The pandas categories of feature {@code featureIndex} in code order, or null when it has none. */
    public String[] categories(int featureIndex) {
        Map<String, Integer> codes = categoryCodes.get(featureIndex);
        if (codes == null) {
            return null;
        }
        String[] categories = new String[codes.size()];
        codes.forEach((category, code) -> categories[code] = category);
        return categories;
    }

    @Override
    public String[] outputNames() {
        return new String[] {PREDICTION, RAW_SCORE};
    }

    /**
     * Scores {@code rows} rows of {@code cols} features.
     *
     * @param rowMajor a direct buffer of {@code rows * cols} float64 ({@code float64 = true}) or float32 values,
     *     row-major; NaN = missing
     */
    public BatchOutputs predict(ByteBuffer rowMajor, int rows, int cols, boolean float64) throws LGBMException {
        checkColumns(cols);
        ByteBuffer buffer = rowMajor.duplicate().order(ByteOrder.nativeOrder());
        int count = Math.multiplyExact(rows, cols);
        if (float64) {
            double[] matrix = new double[count];
            buffer.asDoubleBuffer().get(matrix);
            return predict(matrix, null, rows);
        }
        float[] matrix = new float[count];
        buffer.asFloatBuffer().get(matrix);
        return predict(null, matrix, rows);
    }

    /** Nanoseconds of each of {@code repeats} predict() calls on these arguments, timed in Java (make bench). */
    public long[] timePredict(ByteBuffer rowMajor, int rows, int cols, boolean float64, int repeats) throws Exception {
        return BatchScorer.time(repeats, () -> predict(rowMajor, rows, cols, float64));
    }

    /**
     * Named inputs: one {@code [rows, features]} matrix, or one column per feature (by the model's feature names
     * when every one is an input, else in order). A STRING column of a pandas-categorical feature becomes codes.
     */
    @Override
    public BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes)
            throws LGBMException {
        Inputs inputs = new Inputs(names, data, elementTypes, shapes);
        int rows = inputs.rows();
        if (inputs.size() == 1 && "FLOAT".equals(elementTypes[0]) && inputs.width(0) == featureCount) {
            return predict((ByteBuffer) data[0], rows, featureCount, false);
        }
        double[] matrix = inputs.featureMatrix(featureNames, featureCount, this::encode);
        return predict(matrix, null, rows);
    }

    private double[] encode(int featureIndex, String featureName, String[] values) {
        Map<String, Integer> codes = categoryCodes.get(featureIndex);
        if (codes == null) {
            throw new IllegalArgumentException("LightGBM feature '" + featureName + "' arrived as strings, but the "
                    + "model has no pandas categories for it: pass its integer codes");
        }
        double[] encoded = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            Integer code = values[i] == null ? null : codes.get(values[i]);
            encoded[i] = code == null ? Double.NaN : code;
        }
        return encoded;
    }

    private BatchOutputs predict(double[] doubles, float[] floats, int rows) throws LGBMException {
        BatchOutputs outputs = new BatchOutputs(2);
        long[] shape = {rows, classCount};
        if (rows == 0) {
            outputs.addDoubles(PREDICTION, shape, new double[0], null);
            outputs.addDoubles(RAW_SCORE, shape, new double[0], null);
            return outputs;
        }
        int count = Math.multiplyExact(rows, featureCount);
        SWIGTYPE_p_double doubleData = null;
        SWIGTYPE_p_float floatData = null;
        try {
            // LightGBM reads native memory: one copy, element by element through SWIG (as lightgbm4j does)
            if (doubles != null) {
                doubleData = lightgbmlib.new_doubleArray(count);
                for (int i = 0; i < count; i++) {
                    lightgbmlib.doubleArray_setitem(doubleData, i, doubles[i]);
                }
            } else {
                floatData = lightgbmlib.new_floatArray(count);
                for (int i = 0; i < count; i++) {
                    lightgbmlib.floatArray_setitem(floatData, i, floats[i]);
                }
            }
            SWIGTYPE_p_void data = doubleData != null
                    ? lightgbmlib.double_to_voidp_ptr(doubleData) : lightgbmlib.float_to_voidp_ptr(floatData);
            int dataType = doubleData != null ? lightgbmlib.C_API_DTYPE_FLOAT64 : lightgbmlib.C_API_DTYPE_FLOAT32;
            for (PredictionType type : new PredictionType[] {
                    PredictionType.C_API_PREDICT_NORMAL, PredictionType.C_API_PREDICT_RAW_SCORE}) {
                double[] values = predictForMat(data, dataType, rows, type);
                if (values.length != rows * classCount) {
                    throw new IllegalStateException("LightGBM returned " + values.length + " values for " + rows
                            + " rows of " + classCount + " classes");
                }
                outputs.addDoubles(type == PredictionType.C_API_PREDICT_NORMAL ? PREDICTION : RAW_SCORE, shape,
                        values, null);
            }
            return outputs;
        } finally {
            if (doubleData != null) {
                lightgbmlib.delete_doubleArray(doubleData);
            }
            if (floatData != null) {
                lightgbmlib.delete_floatArray(floatData);
            }
        }
    }

    /** Every tree (start iteration 0, num_iteration -1), the output buffer sized by LightGBM itself. */
    private double[] predictForMat(SWIGTYPE_p_void data, int dataType, int rows, PredictionType type)
            throws LGBMException {
        SWIGTYPE_p_long_long length = lightgbmlib.new_int64_tp();
        SWIGTYPE_p_double result = null;
        try {
            check(lightgbmlib.LGBM_BoosterCalcNumPredict(booster(), rows, type.getType(), 0, -1, length));
            long size = lightgbmlib.int64_tp_value(length);
            result = lightgbmlib.new_doubleArray(size);
            check(lightgbmlib.LGBM_BoosterPredictForMat(booster(), data, dataType, rows, featureCount, 1,
                    type.getType(), 0, -1, parameters, length, result));
            double[] values = new double[Math.toIntExact(lightgbmlib.int64_tp_value(length))];
            for (int i = 0; i < values.length; i++) {
                values[i] = lightgbmlib.doubleArray_getitem(result, i);
            }
            return values;
        } finally {
            lightgbmlib.delete_int64_tp(length);
            if (result != null) {
                lightgbmlib.delete_doubleArray(result);
            }
        }
    }

    private void checkColumns(int cols) {
        if (cols != featureCount) {
            throw new IllegalArgumentException("the LightGBM model has " + featureCount + " features "
                    + Arrays.toString(featureNames) + ", the batch has " + cols + " columns");
        }
    }

    @Override
    public synchronized void close() throws LGBMException {
        if (!closed) {
            closed = true;
            try {
                if (lightgbmlib.voidpp_value(handle) != null) {
                    check(lightgbmlib.LGBM_BoosterFree(booster()));
                }
            } finally {
                lightgbmlib.delete_voidpp(handle);
            }
        }
    }

    @Override
    public String runtimeVersion() {
        return version();
    }

    /** The lightgbm4j version on the class path (its LightGBM is the version before the dash: 4.3.0). */
    public static String version() {
        return Versions.ofJar(LGBMBooster.class, "io.github.metarank", "lightgbm4j");
    }
}
