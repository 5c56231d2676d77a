#!/usr/bin/env python3
"""A Python client of trainsim's gRPC Planner service (`trainsim serve`).

It lists the GPU presets, simulates one training step of a small scenario (GPT 7.5B on 64 H100
GPUs), shows how a bad scenario is reported (INVALID_ARGUMENT naming the field path), and streams
a what-if sweep over the micro-batch size.

Needs Debian's python3-grpcio and the stubs of proto/trainsim/v1/*.proto, which the build
generates into <build>/python (target trainsim_python_stubs):

    build/bin/trainsim serve --listen 127.0.0.1:50051 &
    /usr/bin/python3 examples/python/planner_client.py --target 127.0.0.1:50051 --stubs build/python
"""

import argparse
import sys

SCENARIO = """\
name: gpt-7.5b-64-h100
cluster: {preset: dgx-h100-superpod, gpus: 64}
model: megatron-7.5b
parallelism: {tp: 4, pp: 2}
training: {global_batch: 256, sequence_length: 2048}
"""

STUDY = """\
name: microbatch-size
scenario:
  cluster: {preset: dgx-h100-superpod, gpus: 64}
  model: megatron-7.5b
  parallelism: {tp: 4, pp: 2}
  training: {global_batch: 256, sequence_length: 2048}
knobs:
  - {path: parallelism.microbatch_size, values: [1, 2, 4, 8]}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="127.0.0.1:50051", help="HOST:PORT of trainsim serve")
    parser.add_argument("--stubs", default="build/python",
                        help="directory holding the generated trainsim/v1/*_pb2*.py")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per call")
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    import grpc
    from trainsim.v1 import planner_pb2, planner_pb2_grpc

    with grpc.insecure_channel(args.target) as channel:
        planner = planner_pb2_grpc.PlannerStub(channel)

        gpus = planner.ListGpus(planner_pb2.ListGpusRequest(), timeout=args.timeout)
        print("gpus: " + ", ".join(g.preset for g in gpus.gpus))

        request = planner_pb2.SimulateRequest(
            scenario=planner_pb2.ScenarioSource(scenario_text=SCENARIO, source_name="small.yaml"))
        report = planner.Simulate(request, timeout=args.timeout)
        print(f"simulate {report.name}: step {report.step_time_s:.4f} s, MFU {report.mfu:.1%}, "
              f"{report.tokens_per_s:.4g} tokens/s, {report.peak_memory_gib:.1f} GiB per GPU")

        bad = planner_pb2.SimulateRequest(scenario=planner_pb2.ScenarioSource(
            scenario_text=SCENARIO.replace("tp: 4", "tp: 3"), source_name="bad.yaml"))
        try:
            planner.Simulate(bad, timeout=args.timeout)
            print("bad scenario: accepted (unexpected)")
        except grpc.RpcError as error:
            print(f"bad scenario: {error.code().name}: {error.details().splitlines()[0]}")

        rows = planner.Sweep(planner_pb2.SweepRequest(study_text=STUDY, jobs=2),
                             timeout=args.timeout)
        count = 0
        for row in rows:
            count += 1
            knobs = " ".join(f"{k.path}={k.value}" for k in row.knobs)
            if row.ok:
                print(f"sweep point {row.point}/{row.points} {knobs}: step {row.step_time_s:.4f} s, "
                      f"MFU {row.mfu:.1%}, bound by {row.bound_by}")
            else:
                print(f"sweep point {row.point}/{row.points} {knobs}: {row.error}")
        print(f"sweep: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
