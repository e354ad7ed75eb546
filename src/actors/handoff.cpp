#include "actors/handoff.hpp"

#if defined(__SANITIZE_THREAD__)
#define PW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PW_TSAN 1
#endif
#endif

#ifdef PW_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace pw::actors {

#ifdef PW_TSAN
namespace {
// Only its address is used: TSan's clock for the CAF hand-off.
char mailbox_edge;
}  // namespace
void handoff_release() noexcept { __tsan_release(&mailbox_edge); }
void handoff_acquire() noexcept { __tsan_acquire(&mailbox_edge); }
bool handoff_annotated() noexcept { return true; }
#else
void handoff_release() noexcept {}
void handoff_acquire() noexcept {}
bool handoff_annotated() noexcept { return false; }
#endif

}  // namespace pw::actors
