package cn.paicha.demo.model

import cn.paicha.PaichaStoreInterface
import cn.paicha.RefusalInfo
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The refused-edits screen. */
data class RefusedEditsUiState(
    val refused: List<RefusalInfo> = emptyList(),
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<RefusedEditsUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Edits the server refused (for example a record made for an enterprise the
 * user is no longer responsible for, R2), each with the rule and the reason.
 *
 * Why they are shown, not dropped: the tablet keeps a refused edit so the
 * user knows their work did not count and can redo it the right way; the
 * rest of the tablet's work synced normally.
 */
class RefusedEditsViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<RefusedEditsUiState>(RefusedEditsUiState(), io, main) {

    /** Loads the refused edits kept on this tablet, newest first. */
    fun refresh(): Job = action {
        val list = onIo { store.refusedEdits() }
        update { it.copy(refused = list.sortedByDescending { r -> r.atMs }) }
    }
}
