package cn.paicha.demo.model

import cn.paicha.HazardDetail
import cn.paicha.HazardSummary
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The conflicts screen: records with concurrent decisions or edits, the chosen one, its open conflicts. */
data class ConflictsUiState(
    val conflicts: List<HazardSummary> = emptyList(),
    val selected: HazardDetail? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<ConflictsUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Conflicts (R14): two people acted on the same hidden danger offline. No
 * decision is lost: both are in the history, every tablet reaches the same
 * state, and the conflict waits here for a supervisor, who settles it with
 * a note.
 *
 * Why a list of its own: a conflict needs a person's judgement; the sync
 * screen only counts them.
 */
class ConflictsViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<ConflictsUiState>(ConflictsUiState(), io, main) {

    /** Loads the records with open conflicts in the user's scope. */
    fun refresh(): Job = action {
        val list = onIo { store.conflicts() }
        update { it.copy(conflicts = list) }
    }

    /** Opens a record: its open conflicts with what each one says. */
    fun select(hazardId: String): Job = action {
        val h = onIo { store.hazard(hazardId) }
        update { it.copy(selected = h) }
    }

    /** Settles every open conflict of the chosen record with [note] (a supervisor of its township, R14). */
    fun resolve(note: String): Job = action {
        val h = state.value.selected ?: throw IllegalStateException("choose a conflict first")
        val (resolved, list) = onIo {
            store.resolveConflict(h.id, h.conflicts.map { it.eventId }, note) to store.conflicts()
        }
        update { it.copy(selected = resolved, conflicts = list) }
    }
}
