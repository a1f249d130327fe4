"""JVM equivalence harness: does the JVM compute what the trained model computes?"""
