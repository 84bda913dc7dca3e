package cn.paicha.demo.model

import cn.paicha.CancelToken
import cn.paicha.PaichaException
import cn.paicha.PaichaStoreInterface
import cn.paicha.SyncProgressInfo
import cn.paicha.SyncProgressListener
import cn.paicha.SyncSummary
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The sync screen: running or not, the progress bar, the last result, and what needs a person afterwards. */
data class SyncUiState(
    val running: Boolean = false,
    val progress: SyncProgressInfo? = null,
    val last: SyncSummary? = null,
    val cancelled: Boolean = false,
    val conflicts: Int = 0,
    val refused: Int = 0,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<SyncUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Sync with the district's server: upload this tablet's work, download
 * what is new in scope, then photos, with progress; cancel at any time.
 *
 * Why cancel is safe: the library stops at its next step and keeps what
 * was stored; what was not uploaded stays pending for the next sync.
 * Offline is no failure either: the work stays on the tablet
 * ([Problem] "offline: ..."). After a sync the counts of conflicts and
 * refused edits tell the user where to look.
 *
 * Call [sync] and [cancel] from the main thread (the buttons do).
 */
class SyncViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<SyncUiState>(SyncUiState(), io, main) {
    // Main thread only (see the class comment): the token and job of the latest sync.
    private var token: CancelToken? = null
    private var currentJob: Job? = null

    /** Starts a sync unless one is running (then returns that one's job). */
    fun sync(): Job {
        currentJob?.takeIf { it.isActive }?.let { return it }
        val cancel = CancelToken().also { token = it }
        val job = action {
            update { it.copy(running = true, progress = null, cancelled = false) }
            try {
                val listener = object : SyncProgressListener {
                    // Called on the syncing thread: the state is updated atomically from there.
                    override fun onProgress(`progress`: SyncProgressInfo) {
                        update { it.copy(progress = `progress`) }
                    }
                }
                val (summary, conflicts, refused) = onIo {
                    val s = store.sync(listener, cancel)
                    Triple(s, store.conflicts().size, store.refusedEdits().size)
                }
                update { it.copy(running = false, last = summary, conflicts = conflicts, refused = refused) }
            } catch (e: PaichaException.Cancelled) {
                update { it.copy(running = false, cancelled = true) }
                throw e
            } finally {
                update { it.copy(running = false) }
            }
        }
        currentJob = job
        return job
    }

    /** Cancels the running sync (or the one just started): the state then says cancelled, nothing is lost. */
    fun cancel() {
        token?.cancel()
    }

    /**
     * The screen went away for good: the library, blocked in `sync` on the
     * io thread, cannot be interrupted by cancelling a coroutine, so it is
     * told through its token to stop at its next step.
     */
    override fun close() {
        token?.cancel()
        super.close()
    }
}
