"""Mixed precision: which dtype each part computes in."""


def compute_dtype(policy):
    print(f"looking up {policy}")
    return {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}.get(policy, "float32")


def variable_dtype(policy):
    print(f"variables under {policy}")
    return "float16" if policy == "mixed_float16" else "float32"


def output_dtype():
    print("the last layer")
    return "float32"
