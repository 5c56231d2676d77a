// Huge pages for the heap. An expanded step at 16,384 GPUs keeps ~2 GB of graph, trace and flow
// state and visits it in simulated-time order, which is close to random in memory: with 4 KiB
// pages most of those visits also miss the TLB. glibc (2.35 and later) can ask the kernel for
// transparent huge pages for its heap (the tunable glibc.malloc.hugetlb=1), which under the
// kernel's "madvise" THP mode, a common distribution default, it otherwise does not do;
// `trainsim run --expand` at 16,384 GPUs takes about a quarter less time with it (README,
// "Performance"). glibc reads tunables only when a process starts, so a program sets the tunable
// and re-executes itself once: scale_bench at start, trainsim for the commands that hold large
// heaps (cli/commands.h), since starting it twice costs more than small runs take.
#ifndef TRAINSIM_SIM_HUGE_PAGES_H_
#define TRAINSIM_SIM_HUGE_PAGES_H_

namespace trainsim {

// Re-executes the binary (same argv) with glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES when
// all of these hold: glibc 2.35 or later, not a sanitizer build (it brings its own allocator),
// the kernel's THP mode is "madvise", and GLIBC_TUNABLES does not already name
// glibc.malloc.hugetlb (a user's own setting is kept; it also marks the re-executed process).
// Otherwise, or if the exec fails, returns and the process goes on as it was started. The new
// image starts over from main: call it before any thread exists and before writing output.
// Results do not depend on it.
void ReexecWithHugePageHeap(char** argv);

}  // namespace trainsim

#endif  // TRAINSIM_SIM_HUGE_PAGES_H_
