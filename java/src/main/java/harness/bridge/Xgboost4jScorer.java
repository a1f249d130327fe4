package harness.bridge;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * An XGBoost model file (what MLflow's xgboost flavor saves: UBJ {@code model.ubj} by default, or JSON) scored by
 * XGBoost4J over whole batches.
 *
 * <p>Features arrive as a row-major matrix in a direct native-order buffer, float64 or float32, NaN = missing; they
 * become a float32 {@link DMatrix} as XGBoost's Python package makes them (float64 rounded to nearest). Two
 * outputs, both FLOAT {@code [rows, k]}: {@code margin} ({@code predict(dmatrix, true)}, the untransformed sum of
 * the trees and the base score) and {@code prediction} ({@code predict(dmatrix)}: probabilities for
 * {@code binary:logistic} (k = 1, the positive class) and {@code multi:softprob} (k = classes), the value for
 * regression).
 */
public final class Xgboost4jScorer implements BatchScorer {

    public static final String MARGIN = "margin";
    public static final String PREDICTION = "prediction";

    private final Booster booster;
    private final String[] featureNames;
    private final String[] featureTypes;
    private final int featureCount;

    public Xgboost4jScorer(String modelPath) throws XGBoostError {
        this(modelPath, 0);
    }

    /** @param threads XGBoost's {@code nthread} for prediction; 0 keeps XGBoost's default (every core) */
    public Xgboost4jScorer(String modelPath, int threads) throws XGBoostError {
        this.booster = XGBoost.loadModel(modelPath);
        if (threads > 0) {
            booster.setParam("nthread", threads);
        }
        String[] names = booster.getFeatureNames();
        String[] types = booster.getFeatureTypes();
        this.featureCount = Math.toIntExact(booster.getNumFeature());
        // A model saved without names or types answers an array of nulls: treated as none (XGBoost4J's JNI
        // crashes the JVM with SIGSEGV when such an array is set on a DMatrix).
        this.featureNames = complete(names, featureCount) ? names : null;
        this.featureTypes = complete(types, featureCount) ? types : null;
    }

    private static boolean complete(String[] values, int count) {
        return values != null && values.length == count && java.util.Arrays.stream(values).allMatch(v -> v != null);
    }

    /** The feature names the model was trained with, or {@code f0, f1, ...} when it has none. */
    @Override
    public String[] inputNames() {
        if (featureNames != null) {
            return featureNames.clone();
        }
        String[] names = new String[featureCount];
        for (int i = 0; i < featureCount; i++) {
            names[i] = "f" + i;
        }
        return names;
    }

    /** The feature types the model records ({@code float}, {@code int}, {@code c} for categorical, ...), or null. */
    public String[] featureTypes() {
        return featureTypes == null ? null : featureTypes.clone();
    }

    public int featureCount() {
        return featureCount;
    }

    @Override
    public String[] outputNames() {
        return new String[] {MARGIN, PREDICTION};
    }

    /**
     * Scores {@code rows} rows of {@code cols} features.
     *
     * @param rowMajor a direct buffer of {@code rows * cols} float64 ({@code float64 = true}) or float32 values,
     *     row-major; NaN = missing
     */
    public BatchOutputs predict(ByteBuffer rowMajor, int rows, int cols, boolean float64) throws XGBoostError {
        checkColumns(cols);
        ByteBuffer buffer = rowMajor.duplicate().order(ByteOrder.nativeOrder());
        float[] matrix = new float[Math.multiplyExact(rows, cols)];
        if (float64) {
            java.nio.DoubleBuffer doubles = buffer.asDoubleBuffer();
            for (int i = 0; i < matrix.length; i++) {
                matrix[i] = (float) doubles.get(i);
            }
        } else {
            buffer.asFloatBuffer().get(matrix);
        }
        return predict(matrix, rows);
    }

    /** Nanoseconds of each of {@code repeats} predict() calls on these arguments, timed in Java (make bench). */
    public long[] timePredict(ByteBuffer rowMajor, int rows, int cols, boolean float64, int repeats) throws Exception {
        return BatchScorer.time(repeats, () -> predict(rowMajor, rows, cols, float64));
    }

    /**
     * Named inputs: one {@code [rows, features]} matrix, or one column per feature (by the model's feature names
     * when it has them, else in order). Categorical features arrive as their category codes (numbers).
     */
    @Override
    public BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes)
            throws XGBoostError {
        Inputs inputs = new Inputs(names, data, elementTypes, shapes);
        int rows = inputs.rows();
        if (inputs.size() == 1 && "FLOAT".equals(elementTypes[0]) && inputs.width(0) == featureCount) {
            return predict((ByteBuffer) data[0], rows, featureCount, false);
        }
        double[] doubles = inputs.featureMatrix(featureNames, featureCount, (index, name, values) -> {
            throw new IllegalArgumentException("XGBoost feature '" + name + "' arrived as strings: pass categorical "
                    + "features as their category codes");
        });
        float[] matrix = new float[doubles.length];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) doubles[i];
        }
        return predict(matrix, rows);
    }

    private BatchOutputs predict(float[] matrix, int rows) throws XGBoostError {
        BatchOutputs outputs = new BatchOutputs(2);
        if (rows == 0) {
            ByteBuffer empty = BatchOutputs.allocate(0);
            outputs.add(MARGIN, "FLOAT", new long[] {0, 0}, empty, null);
            outputs.add(PREDICTION, "FLOAT", new long[] {0, 0}, empty, null);
            return outputs;
        }
        DMatrix dmatrix = new DMatrix(matrix, rows, featureCount, Float.NaN);
        try {
            if (featureTypes != null) {
                dmatrix.setFeatureTypes(featureTypes);  // categorical splits need the "c" types on the data
            }
            if (featureNames != null) {
                dmatrix.setFeatureNames(featureNames);
            }
            float[][] margin = booster.predict(dmatrix, true);
            float[][] prediction = booster.predict(dmatrix, false);
            outputs.addFloatRows(MARGIN, margin, margin[0].length);
            outputs.addFloatRows(PREDICTION, prediction, prediction[0].length);
            return outputs;
        } finally {
            dmatrix.dispose();
        }
    }

    private void checkColumns(int cols) {
        if (cols != featureCount) {
            throw new IllegalArgumentException("the XGBoost model has " + featureCount + " features"
                    + (featureNames == null ? "" : " " + Arrays.toString(featureNames)) + ", the batch has " + cols
                    + " columns");
        }
    }

    @Override
    public void close() {
        booster.dispose();
    }

    @Override
    public String runtimeVersion() {
        return version();
    }

    /** The XGBoost4J version on the class path (of the jar Booster was loaded from: 3.4.0, or 3.0.4 from alt-lib). */
    public static String version() {
        return Versions.ofJar(Booster.class, "ml.dmlc", "xgboost4j_2.12");
    }
}
