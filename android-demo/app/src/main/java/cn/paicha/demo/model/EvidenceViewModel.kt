package cn.paicha.demo.model

import cn.paicha.HazardDetail
import cn.paicha.HazardStatus
import cn.paicha.HazardSummary
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The enterprise's rectification screen: what it must rectify, the chosen record, the evidence sent. */
data class EvidenceUiState(
    val toRectify: List<HazardSummary> = emptyList(),
    val selected: HazardDetail? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<EvidenceUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * The enterprise's side of the loop: the hidden dangers it must rectify
 * (its own only, R2), and rectification evidence (R7): what was done, with
 * the after photos.
 *
 * Why on the tablet: the enterprise's safety officer sends evidence from
 * the workshop, offline if need be; it reaches the supervisor's review
 * queue on the next sync.
 */
class EvidenceViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<EvidenceUiState>(EvidenceUiState(), io, main) {

    /** Loads the records still being rectified, most urgent deadline first. */
    fun refresh(): Job = action {
        val list = onIo { store.listHazards(HazardStatus.RECTIFYING, null) }
        update { it.copy(toRectify = list.sortedBy { h -> h.deadline }) }
    }

    /** Chooses a record to send evidence for. */
    fun select(hazardId: String): Job = action {
        val h = onIo { store.hazard(hazardId) }
        update { it.copy(selected = h) }
    }

    /** Sends evidence for the chosen record: [description] and the after photos (JPEG files, copied). */
    fun submit(description: String, afterPhotoPaths: List<String>): Job = action {
        val id = state.value.selected?.id ?: throw IllegalStateException("choose a hidden danger first")
        val (h, list) = onIo { store.submitEvidence(id, description, afterPhotoPaths) to store.listHazards(HazardStatus.RECTIFYING, null) }
        update { it.copy(selected = h, toRectify = list.sortedBy { x -> x.deadline }) }
    }
}
