"""Script an architecture search from Python: define a space, run it, get a DataFrame.

Run: python examples/search_example.py
"""

from shufflenet_cli.explore.search import run_search
from shufflenet_cli.explore.search import space_from_dict


def main() -> None:
    """Search groups x width x depth under a 40 M multiply-add budget (analytic, no torch)."""
    space = space_from_dict(
        {
            "name": "budget-40M",
            "space": {
                "groups": [1, 2, 3, 4, 8],
                "scale": {"min": 0.25, "max": 1.0, "step": 0.25},
                "units": [[2, 4], [4, 8], [2, 4]],
            },
            "constraints": {"max_mflops": 40},
            # the paper's argument: within a budget, which designs buy the most multiply-adds
            # (capacity) for the least memory traffic?
            "objectives": {"minimize": ["memory"], "maximize": ["macs"]},
        }
    )
    result = run_search(space, strategy="grid")
    front = result.to_frame("front")
    print(
        f"screened {result.screened.evaluated}, feasible {len(result.screened.rows)}, "
        f"front {len(front)}"
    )
    print(front[["name", "groups", "params", "macs", "memory_bytes_eager"]].to_string(index=False))


if __name__ == "__main__":
    main()
