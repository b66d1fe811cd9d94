#pragma once
// The impairment stage, between the reply policy and the transport: where a reply will be held,
// paced, sliced, dropped or turned into a reset (delay, jitter, throttle, loss, reset, slice,
// stall). Empty today and free: is_active() is a constant false, which session::do_write (the
// one place every reply passes) asserts at compile time, so the data path carries no code for the
// stage until it is wired in there.

namespace echo::impairment {

constexpr bool is_active() { return false; }

}  // namespace echo::impairment
