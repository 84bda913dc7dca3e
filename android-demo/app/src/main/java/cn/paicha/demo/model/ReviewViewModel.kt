package cn.paicha.demo.model

import cn.paicha.Decision
import cn.paicha.HazardDetail
import cn.paicha.HazardSummary
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The supervisor's review screen: the queue, the record being reviewed, the last decision. */
data class ReviewUiState(
    val queue: List<HazardSummary> = emptyList(),
    val selected: HazardDetail? = null,
    val decided: HazardDetail? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<ReviewUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * The township supervisor's review (复查, R8): the records whose evidence
 * waits for a decision, approve (销号) or reject with a reason.
 *
 * Why the library decides who may: only a supervisor of the enterprise's
 * township may review, and a rejection needs a reason; the refusal comes
 * back as a [Problem] naming the rule, shown on this screen.
 */
class ReviewViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<ReviewUiState>(ReviewUiState(), io, main) {

    /** Loads the review queue. */
    fun refresh(): Job = action {
        val queue = onIo { store.reviewQueue() }
        update { it.copy(queue = queue) }
    }

    /** Opens a record of the queue: evidence and history. */
    fun select(hazardId: String): Job = action {
        val h = onIo { store.hazard(hazardId) }
        update { it.copy(selected = h) }
    }

    /** Approves (closes) or rejects the record with [opinion]; the queue is reloaded. */
    fun decide(hazardId: String, approve: Boolean, opinion: String): Job = action {
        val (h, queue) = onIo {
            store.review(hazardId, if (approve) Decision.APPROVE else Decision.REJECT, opinion) to store.reviewQueue()
        }
        update { it.copy(decided = h, selected = null, queue = queue) }
    }
}
