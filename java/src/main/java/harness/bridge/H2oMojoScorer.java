package harness.bridge;

import hex.ModelCategory;
import hex.genmodel.GenModel;
import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.error.CountingErrorConsumer;
import hex.genmodel.easy.prediction.BinomialModelPrediction;
import hex.genmodel.easy.prediction.MultinomialModelPrediction;
import hex.genmodel.easy.prediction.RegressionModelPrediction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An H2O MOJO (zip) scored by h2o-genmodel's {@link EasyPredictModelWrapper}, one {@link RowData} per row, the loop
 * over rows in Java.
 *
 * <p>The wrapper is configured to turn a categorical level the model never saw into NA (as H2O's own scoring of a
 * frame does) instead of throwing; how many it saw is {@link #unknownCategoricalLevelsSeen()}. Invalid numbers
 * (a string in a numeric column) still throw. A missing value is left out of the row: NaN in a numeric column,
 * {@code null} in a string column. A numeric value for a categorical column is looked up as text: an integral value
 * as {@code "3"}, otherwise as Java prints the double.
 *
 * <p>Outputs: for binomial and multinomial models {@code label} (STRING {@code [rows]}) and {@code probabilities}
 * (DOUBLE {@code [rows, classes]}, keys = the class labels in the model's order); for regression {@code value}
 * (DOUBLE {@code [rows]}).
 */
public final class H2oMojoScorer implements BatchScorer {

    public static final String LABEL = "label";
    public static final String PROBABILITIES = "probabilities";
    public static final String VALUE = "value";

    private final MojoModel model;
    private final EasyPredictModelWrapper wrapper;
    private final CountingErrorConsumer errors;
    private final String[] inputNames;
    private final boolean[] categorical;
    private final ModelCategory category;
    private final String[] classes;

    public H2oMojoScorer(String mojoPath) throws IOException {
        this.model = MojoModel.load(mojoPath);
        this.errors = new CountingErrorConsumer(model);
        this.wrapper = new EasyPredictModelWrapper(new EasyPredictModelWrapper.Config()
                .setModel(model)
                .setConvertUnknownCategoricalLevelsToNa(true)
                .setErrorConsumer(errors));
        this.inputNames = Arrays.copyOf(model.getNames(), model.getNumCols());
        this.categorical = new boolean[inputNames.length];
        for (int i = 0; i < inputNames.length; i++) {
            categorical[i] = model.getDomainValues(i) != null;
        }
        this.category = model.getModelCategory();
        if (category != ModelCategory.Binomial && category != ModelCategory.Multinomial
                && category != ModelCategory.Regression) {
            throw new IllegalArgumentException("the MOJO is a " + category + " model; the harness scores Binomial, "
                    + "Multinomial and Regression MOJOs");
        }
        this.classes = category == ModelCategory.Regression ? null : wrapper.getResponseDomainValues();
    }

    /** The model's predictor columns, in its order (the response, weights and offset columns left out). */
    @Override
    public String[] inputNames() {
        return inputNames.clone();
    }

    /** Per input: {@code categorical} (the model has a domain for it) or {@code numeric}. */
    public String[] inputTypes() {
        String[] types = new String[inputNames.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = categorical[i] ? "categorical" : "numeric";
        }
        return types;
    }

    /** Binomial, Multinomial or Regression. */
    public String modelCategory() {
        return category.name();
    }

    /** The class labels, in the order of the {@code probabilities} columns; null for regression. */
    public String[] classes() {
        return classes == null ? null : classes.clone();
    }

    /** The H2O version that wrote the MOJO. */
    public String mojoH2oVersion() {
        return model._h2oVersion;
    }

    @Override
    public String[] outputNames() {
        return category == ModelCategory.Regression ? new String[] {VALUE} : new String[] {LABEL, PROBABILITIES};
    }

    /** Categorical levels the model did not know, turned into NA since this scorer was made. */
    public long unknownCategoricalLevelsSeen() {
        return errors.getTotalUnknownCategoricalLevelsSeen();
    }

    /**
     * Scores {@code rows} rows.
     *
     * @param numericNames the numeric columns, in the order of the matrix's columns
     * @param numericRowMajor a direct buffer of {@code rows * numericNames.length} float64 ({@code float64 = true})
     *     or float32 values, row-major; NaN = missing
     * @param stringNames the string columns
     * @param stringColumns one {@code String[]} per string column ({@code null} = missing)
     */
    public BatchOutputs predict(String[] numericNames, ByteBuffer numericRowMajor, boolean float64,
                                String[] stringNames, Object[] stringColumns, int rows) throws Exception {
        int width = numericNames.length;
        double[] numbers = new double[Math.multiplyExact(rows, width)];
        if (width > 0) {
            ByteBuffer buffer = numericRowMajor.duplicate().order(ByteOrder.nativeOrder());
            if (float64) {
                buffer.asDoubleBuffer().get(numbers);
            } else {
                java.nio.FloatBuffer floats = buffer.asFloatBuffer();
                for (int i = 0; i < numbers.length; i++) {
                    numbers[i] = floats.get(i);
                }
            }
        }
        Map<String, double[]> numeric = new HashMap<>();
        for (int c = 0; c < width; c++) {
            double[] column = new double[rows];
            for (int r = 0; r < rows; r++) {
                column[r] = numbers[r * width + c];
            }
            numeric.put(numericNames[c], column);
        }
        Map<String, String[]> strings = new HashMap<>();
        for (int c = 0; c < stringNames.length; c++) {
            strings.put(stringNames[c], Inputs.toStrings(stringColumns[c]));
        }
        return predict(numeric, strings, rows);
    }

    /** Nanoseconds of each of {@code repeats} predict() calls on these columns, timed in Java (make bench). */
    public long[] timePredict(String[] numericNames, ByteBuffer numericRowMajor, boolean float64,
                              String[] stringNames, Object[] stringColumns, int rows, int repeats) throws Exception {
        return BatchScorer.time(repeats,
                () -> predict(numericNames, numericRowMajor, float64, stringNames, stringColumns, rows));
    }

    /** Named column inputs ({@code [rows]} or {@code [rows, 1]}): numeric ones of any element type, or STRING. */
    @Override
    public BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes)
            throws Exception {
        Inputs inputs = new Inputs(names, data, elementTypes, shapes);
        Map<String, double[]> numeric = new HashMap<>();
        Map<String, String[]> strings = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.width(i) != 1) {
                throw new IllegalArgumentException("input '" + names[i] + "' has shape " + Arrays.toString(shapes[i])
                        + "; the H2O scorer takes one [rows] column per input");
            }
            if (inputs.isString(i)) {
                strings.put(names[i], inputs.strings(i));
            } else {
                numeric.put(names[i], inputs.doubles(i));
            }
        }
        return predict(numeric, strings, inputs.rows());
    }

    private BatchOutputs predict(Map<String, double[]> numeric, Map<String, String[]> strings, int rows)
            throws Exception {
        for (String name : inputNames) {
            if (!numeric.containsKey(name) && !strings.containsKey(name)) {
                throw new IllegalArgumentException("the batch has no column for the MOJO's input '" + name
                        + "' (inputs: " + Arrays.toString(inputNames) + ")");
            }
        }
        BatchOutputs outputs = new BatchOutputs(2);
        if (category == ModelCategory.Regression) {
            double[] values = new double[rows];
            for (int r = 0; r < rows; r++) {
                RegressionModelPrediction prediction = wrapper.predictRegression(row(numeric, strings, r));
                values[r] = prediction.value;
            }
            outputs.addDoubles(VALUE, new long[] {rows}, values, null);
            return outputs;
        }
        String[] labels = new String[rows];
        double[] probabilities = new double[rows * classes.length];
        for (int r = 0; r < rows; r++) {
            RowData row = row(numeric, strings, r);
            double[] p;
            if (category == ModelCategory.Binomial) {
                BinomialModelPrediction prediction = wrapper.predictBinomial(row);
                labels[r] = prediction.label;
                p = prediction.classProbabilities;
            } else {
                MultinomialModelPrediction prediction = wrapper.predictMultinomial(row);
                labels[r] = prediction.label;
                p = prediction.classProbabilities;
            }
            System.arraycopy(p, 0, probabilities, r * classes.length, classes.length);
        }
        outputs.addStrings(LABEL, labels);
        outputs.addDoubles(PROBABILITIES, new long[] {rows, classes.length}, probabilities, classes.clone());
        return outputs;
    }

    private RowData row(Map<String, double[]> numeric, Map<String, String[]> strings, int r) {
        RowData row = new RowData();
        for (int i = 0; i < inputNames.length; i++) {
            String name = inputNames[i];
            String[] text = strings.get(name);
            if (text != null) {
                if (text[r] != null) {
                    row.put(name, text[r]);
                }
                continue;
            }
            double value = numeric.get(name)[r];
            if (Double.isNaN(value)) {
                continue;
            }
            if (categorical[i]) {
                row.put(name, value == Math.rint(value) && Math.abs(value) < 1e15
                        ? Long.toString((long) value) : Double.toString(value));
            } else {
                row.put(name, value);
            }
        }
        return row;
    }

    /** Nothing to release: a MOJO is plain Java. */
    @Override
    public void close() {
    }

    @Override
    public String runtimeVersion() {
        return version();
    }

    /** The h2o-genmodel version on the class path. */
    public static String version() {
        String version = new water.genmodel.BuildVersion().projectVersion();
        return version == null ? Versions.ofJar(GenModel.class, "ai.h2o", "h2o-genmodel") : version;
    }
}
