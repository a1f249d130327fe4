package harness.bridge;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jpmml.evaluator.Evaluator;
import org.jpmml.evaluator.EvaluatorUtil;
import org.jpmml.evaluator.InputField;
import org.jpmml.evaluator.LoadingModelEvaluatorBuilder;

/**
 * Reproduces a counterexample from the harness's corpus file alone, in plain Java: no Python, no harness.
 *
 * <pre>java -cp "java/target/harness-bridge.jar:java/target/lib/*" harness.bridge.ReplayCounterexample FILE.json</pre>
 *
 * It feeds the artifact the exact inputs recorded in the file (ONNX: the tensors; PMML: the rows), prints every
 * output beside the reference's, and says whether the divergence reproduces (exit 0) or not (exit 1).
 */
public final class ReplayCounterexample {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ReplayCounterexample COUNTEREXAMPLE.json");
            System.exit(2);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> entry = (Map<String, Object>) MiniJson.parse(Files.readString(Path.of(args[0])));
        Map<String, Object> artifact = map(entry.get("artifact"));
        // The artifact's copy sits beside the corpus file; its path is relative to the file.
        String path = Path.of(args[0]).toAbsolutePath().getParent().resolve((String) artifact.get("path")).toString();
        System.out.println("model " + entry.get("model_uri") + ", cell " + entry.get("cell") + ", file " + path);
        Map<String, double[]> actual = "pmml".equals(artifact.get("format")) ? runPmml(path, entry) : runOnnx(path, entry);
        Map<String, Object> tolerance = map(entry.get("tolerance"));
        double atol = ((Number) tolerance.get("atol")).doubleValue();
        double rtol = ((Number) tolerance.get("rtol")).doubleValue();
        double worst = 0;
        boolean diverged = false;
        for (Map.Entry<String, Object> expected : map(entry.get("expected")).entrySet()) {
            double[] want = flatten(expected.getValue());
            double[] got = actual.values().stream().filter(v -> v.length == want.length).findFirst().orElse(null);
            System.out.println("  reference " + expected.getKey() + ": " + java.util.Arrays.toString(want));
            System.out.println("  java      " + expected.getKey() + ": " + java.util.Arrays.toString(got));
            if (got == null) {
                diverged = true;
                continue;
            }
            actual.values().remove(got);
            for (int i = 0; i < want.length; i++) {
                double abs = Math.abs(got[i] - want[i]);
                if (Double.isNaN(got[i]) != Double.isNaN(want[i])) {
                    abs = Double.POSITIVE_INFINITY;
                } else if (Double.isNaN(abs)) {
                    abs = 0;
                }
                worst = Math.max(worst, abs);
                if (abs > atol && abs / Math.max(Math.abs(want[i]), Double.MIN_NORMAL) > rtol) {
                    diverged = true;
                }
            }
        }
        System.out.println((diverged ? "REPRODUCED" : "NOT REPRODUCED") + ": max_abs=" + worst);
        System.exit(diverged ? 0 : 1);
    }

    private static Map<String, double[]> runOnnx(String path, Map<String, Object> entry) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        Map<String, double[]> outputs = new LinkedHashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(path, options)) {
                for (Object item : (List<?>) entry.get("onnx_inputs")) {
                    Map<String, Object> input = map(item);
                    feed.put((String) input.get("name"), tensor(env, input));
                }
                try (OrtSession.Result result = session.run(feed)) {
                    for (Map.Entry<String, OnnxValue> output : result) {
                        if (output.getValue() instanceof OnnxTensor tensor && tensor.getInfo().type != ai.onnxruntime.OnnxJavaType.STRING) {
                            outputs.put(output.getKey(), flatten(tensor.getValue()));
                        }
                    }
                }
            } finally {
                for (OnnxTensor tensor : feed.values()) {
                    tensor.close();
                }
            }
        }
        return outputs;
    }

    private static OnnxTensor tensor(OrtEnvironment env, Map<String, Object> input) throws Exception {
        List<?> shapeList = (List<?>) input.get("shape");
        long[] shape = shapeList.stream().mapToLong(v -> ((Number) v).longValue()).toArray();
        List<?> values = (List<?>) input.get("values");
        String type = (String) input.get("element_type");
        switch (type) {
            case "string":
                return OnnxTensor.createTensor(env, values.stream().map(String::valueOf).toArray(String[]::new), shape);
            case "float": {
                float[] data = new float[values.size()];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) number(values.get(i));
                }
                return OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(data), shape);
            }
            case "double":
                return OnnxTensor.createTensor(env, java.nio.DoubleBuffer.wrap(
                        values.stream().mapToDouble(ReplayCounterexample::number).toArray()), shape);
            case "int64":
                return OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(
                        values.stream().mapToLong(v -> (long) number(v)).toArray()), shape);
            case "int32":
                return OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(
                        values.stream().mapToInt(v -> (int) number(v)).toArray()), shape);
            default:
                throw new IllegalArgumentException("the replayer does not feed element type " + type);
        }
    }

    private static Map<String, double[]> runPmml(String path, Map<String, Object> entry) throws Exception {
        PmmlBatchEvaluator.refuseDoctype(new File(path));
        Evaluator evaluator = new LoadingModelEvaluatorBuilder().load(new File(path)).build();
        List<?> columns = (List<?>) entry.get("columns");
        List<String> names = new ArrayList<>();
        for (Object column : columns) {
            names.add((String) map(column).get("name"));
        }
        Map<String, List<Double>> results = new LinkedHashMap<>();
        for (Object rowObject : (List<?>) entry.get("rows")) {
            List<?> row = (List<?>) rowObject;
            Map<String, Object> arguments = new LinkedHashMap<>();
            for (InputField field : evaluator.getInputFields()) {
                Object raw = row.get(names.indexOf(field.getName()));
                arguments.put(field.getName(), field.prepare(raw));
            }
            Map<String, ?> decoded = EvaluatorUtil.decodeAll(evaluator.evaluate(arguments));
            for (Map.Entry<String, ?> result : decoded.entrySet()) {
                if (result.getValue() instanceof Number number) {
                    results.computeIfAbsent(result.getKey(), k -> new ArrayList<>()).add(number.doubleValue());
                }
            }
        }
        Map<String, double[]> outputs = new LinkedHashMap<>();
        results.forEach((k, v) -> outputs.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
        return outputs;
    }

    private static double number(Object value) {
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (value instanceof Boolean flag) {
            return flag ? 1 : 0;
        }
        String text = String.valueOf(value);
        return switch (text) {
            case "nan" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(text);
        };
    }

    private static double[] flatten(Object value) {
        List<Double> flat = new ArrayList<>();
        flattenInto(value, flat);
        return flat.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flattenInto(Object value, List<Double> flat) {
        if (value instanceof List<?> list) {
            list.forEach(v -> flattenInto(v, flat));
        } else if (value instanceof float[] a) {
            for (float v : a) {
                flat.add((double) v);
            }
        } else if (value instanceof double[] a) {
            for (double v : a) {
                flat.add(v);
            }
        } else if (value instanceof long[] a) {
            for (long v : a) {
                flat.add((double) v);
            }
        } else if (value instanceof int[] a) {
            for (int v : a) {
                flat.add((double) v);
            }
        } else if (value instanceof Object[] array) {
            for (Object v : array) {
                flattenInto(v, flat);
            }
        } else if (value != null && !(value instanceof String)) {
            flat.add(number(value));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }
}
