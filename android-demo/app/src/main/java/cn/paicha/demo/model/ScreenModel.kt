package cn.paicha.demo.model

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.lang.reflect.UndeclaredThrowableException

/**
 * The state every screen has besides its content: whether an action is
 * running (a spinner) and the problem of the last one (a message).
 * `withStatus` lets [ScreenModel] set both on any screen's state.
 */
interface ScreenState<S : ScreenState<S>> {
    val loading: Boolean
    val problem: Problem?
    fun withStatus(loading: Boolean, problem: Problem?): S
}

/**
 * The base of every view model of the app: an observable, immutable
 * [state], actions launched in the model's own scope on the [main]
 * dispatcher, and every library call moved to the [io] dispatcher.
 *
 * Why plain Kotlin and not androidx `ViewModel`: the JVM tests (no Android
 * SDK on CI) drive exactly these classes against the real library. On the
 * device each one lives inside an androidx `ViewModel` (see
 * `AndroidViewModels.kt`) so it survives rotation, and `onCleared` calls
 * [close].
 *
 * Why every call goes through [onIo]: every library call blocks on disk
 * (sync and enroll on the network); the main thread must never block.
 * Actions return their [Job] so a caller (a test) can wait for one; the
 * screen just observes [state].
 *
 * [main] must be one thread (Android's main thread; a single-thread
 * executor in the tests): actions start, update and end there, and [io]
 * takes the blocking calls.
 */
abstract class ScreenModel<S : ScreenState<S>>(
    initial: S,
    private val io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : AutoCloseable {
    /** Cancelled by [close]; a `SupervisorJob`, so one failed action never stops the others. */
    protected val scope: CoroutineScope = CoroutineScope(SupervisorJob() + main)

    private val mutableState = MutableStateFlow(initial)

    /** What the screen shows; replaced whole on every change (thread-safe, observable). */
    val state: StateFlow<S> = mutableState.asStateFlow()

    /** Replaces the state atomically (safe from any thread, e.g. a sync progress callback). */
    protected fun update(change: (S) -> S) = mutableState.update(change)

    /**
     * Runs a blocking library call on the io dispatcher. A store behind a
     * `java.lang.reflect.Proxy` (a logging or checking decorator, as in the
     * tests) wraps the library's checked exceptions: they are unwrapped here,
     * so the screens always see the library's own `PaichaException`.
     */
    protected suspend fun <T> onIo(call: () -> T): T = withContext(io) {
        try {
            call()
        } catch (e: UndeclaredThrowableException) {
            throw e.cause ?: e
        }
    }

    /**
     * Launches a user action: `loading` while it runs, and any failure
     * (a library error, a file that could not be read) becomes the state's
     * [Problem] instead of a crash. Cancellation (the screen went away) is
     * not a problem.
     */
    protected fun action(block: suspend () -> Unit): Job = scope.launch {
        running++
        update { it.withStatus(true, null) }
        val problem = try {
            block()
            null
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            problemOf(e)
        } finally {
            running--
        }
        // Still loading while another action of this screen runs.
        update { it.withStatus(running > 0, problem) }
    }

    // Actions start and end on the main dispatcher (only their library calls move to io), so
    // this count of running actions is only touched from there.
    private var running = 0

    /** Stops every action of this screen (they keep nothing half-done: the library's calls are atomic). */
    override fun close() {
        scope.cancel()
    }
}
