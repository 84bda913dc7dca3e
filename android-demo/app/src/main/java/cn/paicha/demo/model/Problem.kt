package cn.paicha.demo.model

import cn.paicha.PaichaException

/**
 * What a screen shows when an action failed: the sentence for the user and,
 * for a rule the library enforced, the rule's id (`R4`, `R8`...) so the
 * screen can link to its help text.
 *
 * Why a type of its own: a screen never shows a stack trace or crashes on a
 * library error; every failure of an action ends up here, in the screen's
 * state.
 */
data class Problem(val message: String, val rule: String? = null)

/**
 * Turns a failure into something a screen can show. The library's messages
 * are sentences meant for the user (see ffi/README.md, "Errors"); a
 * `Forbidden` one starts with the rule id and ": ". Failures outside the
 * library (a photo file that could not be written, say) keep their message.
 */
fun problemOf(e: Throwable): Problem = when (e) {
    is PaichaException.Forbidden -> Problem(e.message ?: "forbidden", e.message?.substringBefore(": "))
    is PaichaException.InvalidInput -> Problem(e.message ?: "invalid input")
    is PaichaException.NotFound -> Problem(e.message ?: "not found")
    // "network unavailable, your work is kept on this tablet: ..." (with the certificate problem, if any).
    is PaichaException.Network -> Problem(e.message ?: "offline: your work is kept on this tablet and will sync later")
    is PaichaException.NotEnrolled -> Problem("this tablet is not enrolled: enroll with the code from the district")
    is PaichaException.Cancelled -> Problem("sync cancelled: what was stored so far is kept")
    else -> Problem(e.message ?: e.toString())
}
