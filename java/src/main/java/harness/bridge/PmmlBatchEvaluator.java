package harness.bridge;

import org.jpmml.evaluator.Evaluator;
import org.jpmml.evaluator.EvaluatorUtil;
import org.jpmml.evaluator.InputField;
import org.jpmml.evaluator.LoadingModelEvaluatorBuilder;
import org.jpmml.evaluator.OutputField;
import org.jpmml.evaluator.TargetField;

import java.io.File;
import javax.xml.XMLConstants;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JPMML-Evaluator over whole batches. JPMML evaluates one row at a time; the loop over rows runs here, in
 * Java, so a batch crosses the Python-Java bridge once.
 *
 * <p>Columns arrive column-major: a numeric column as a direct ByteBuffer of float64 (NaN means missing, which
 * JPMML receives as {@code null}), a string column as {@code String[]} ({@code null} means missing).
 */
public final class PmmlBatchEvaluator implements BatchScorer {

    private final Evaluator evaluator;
    private final List<String> resultNames = new ArrayList<>();

    public PmmlBatchEvaluator(String pmmlPath) throws Exception {
        refuseDoctype(new File(pmmlPath));
        this.evaluator = new LoadingModelEvaluatorBuilder().load(new File(pmmlPath)).build();
        this.evaluator.verify();
        for (TargetField field : evaluator.getTargetFields()) {
            resultNames.add(field.getName());
        }
        for (OutputField field : evaluator.getOutputFields()) {
            resultNames.add(field.getName());
        }
    }

    /**
     * PMML is XML: a DOCTYPE can declare external entities (a local file, a URL) that a parser would fetch. No
     * PMML needs one, so a file that has one is refused before JPMML parses it: nothing is read or fetched.
     */
    static void refuseDoctype(File pmml) throws Exception {
        SAXParserFactory factory = SAXParserFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        try {
            factory.newSAXParser().parse(pmml, new DefaultHandler());
        } catch (SAXParseException error) {
            if (String.valueOf(error.getMessage()).contains("DOCTYPE")) {
                throw new IllegalArgumentException(pmml + " has a DOCTYPE declaration, which the harness refuses: "
                        + "it can make an XML parser read local files or fetch URLs. Export the PMML again "
                        + "without one.", error);
            }
            throw new IllegalArgumentException(pmml + " is not well-formed XML: " + error.getMessage(), error);
        }
    }

    @Override
    public String[] inputNames() {
        return evaluator.getInputFields().stream().map(InputField::getName).toArray(String[]::new);
    }

    /** Target fields first, then output fields (for example {@code probability(1)}). */
    public String[] resultNames() {
        return resultNames.toArray(new String[0]);
    }

    /** {@link #resultNames()}, as every {@link BatchScorer} names its outputs. */
    @Override
    public String[] outputNames() {
        return resultNames();
    }

    /**
     * {@link #evaluate} over named column inputs: a numeric input of any element type (shape {@code [rows]} or
     * {@code [rows, 1]}; NaN = missing) or a STRING input ({@code null} = missing). Each result is a DOUBLE
     * {@code [rows]} output where every value is a number (NaN where JPMML gave none), else a STRING one.
     */
    @Override
    public BatchOutputs score(String[] names, Object[] data, String[] elementTypes, long[][] shapes) {
        Inputs inputs = new Inputs(names, data, elementTypes, shapes);
        int rows = inputs.rows();
        Object[] columns = new Object[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.isString(i)) {
                columns[i] = inputs.strings(i);
            } else if ("DOUBLE".equals(elementTypes[i]) && data[i] instanceof ByteBuffer buffer) {
                columns[i] = buffer;
            } else {
                double[] values = inputs.doubles(i);
                ByteBuffer buffer = BatchOutputs.allocate(values.length * Double.BYTES);
                buffer.asDoubleBuffer().put(values);
                columns[i] = buffer;
            }
        }
        Object[] results = evaluate(names, columns, rows);
        BatchOutputs outputs = new BatchOutputs(results.length);
        for (int r = 0; r < results.length; r++) {
            if (results[r] instanceof double[] numbers) {
                outputs.addDoubles(resultNames.get(r), new long[] {rows}, numbers, null);
            } else {
                outputs.addStrings(resultNames.get(r), (String[]) results[r]);
            }
        }
        return outputs;
    }

    /**
     * Evaluates {@code rowCount} rows. Returns one array per result name: {@code double[]} where every value is a
     * number (NaN where JPMML gave none), otherwise {@code String[]}.
     */
    public Object[] evaluate(String[] columnNames, Object[] columns, int rowCount) {
        Map<String, Object> columnsByName = new LinkedHashMap<>();
        for (int c = 0; c < columnNames.length; c++) {
            Object column = columns[c];
            if (column instanceof ByteBuffer buffer) {
                column = buffer.order(ByteOrder.nativeOrder()).asDoubleBuffer();
            }
            columnsByName.put(columnNames[c], column);
        }
        List<InputField> inputFields = evaluator.getInputFields();
        Object[][] results = new Object[resultNames.size()][rowCount];
        Map<String, Object> arguments = new LinkedHashMap<>();
        for (int row = 0; row < rowCount; row++) {
            arguments.clear();
            for (InputField field : inputFields) {
                Object raw = cell(columnsByName.get(field.getName()), row, field.getName());
                arguments.put(field.getName(), field.prepare(raw));
            }
            Map<String, ?> decoded = EvaluatorUtil.decodeAll(evaluator.evaluate(arguments));
            for (int r = 0; r < resultNames.size(); r++) {
                results[r][row] = decoded.get(resultNames.get(r));
            }
        }
        Object[] columnsOut = new Object[results.length];
        for (int r = 0; r < results.length; r++) {
            columnsOut[r] = asColumn(results[r]);
        }
        return columnsOut;
    }

    private static Object cell(Object column, int row, String fieldName) {
        if (column == null) {
            throw new IllegalArgumentException("the batch has no column for PMML input field '" + fieldName + "'");
        }
        if (column instanceof DoubleBuffer doubles) {
            double value = doubles.get(row);
            return Double.isNaN(value) ? null : value;
        }
        return ((Object[]) column)[row];
    }

    private static Object asColumn(Object[] values) {
        double[] numbers = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            Object value = values[i];
            if (value == null) {
                numbers[i] = Double.NaN;
            } else if (value instanceof Number number) {
                numbers[i] = number.doubleValue();
            } else {
                String[] strings = new String[values.length];
                for (int j = 0; j < values.length; j++) {
                    strings[j] = values[j] == null ? null : String.valueOf(values[j]);
                }
                return strings;
            }
        }
        return numbers;
    }

    /** Nothing to release: JPMML holds no native resources. */
    @Override
    public void close() {
    }

    @Override
    public String runtimeVersion() {
        return version();
    }

    /** Version of JPMML-Evaluator on the class path. */
    public static String version() {
        return Versions.ofJar(Evaluator.class, "org.jpmml", "pmml-evaluator");
    }
}
