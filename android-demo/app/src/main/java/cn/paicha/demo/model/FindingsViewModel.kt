package cn.paicha.demo.model

import cn.paicha.AnswerValue
import cn.paicha.ChecklistItem
import cn.paicha.HazardDetail
import cn.paicha.HazardKind
import cn.paicha.InspectionInfo
import cn.paicha.NewHazardInput
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The findings screen: the inspection's non-conforming items and the hidden dangers raised from them. */
data class FindingsUiState(
    val inspection: InspectionInfo? = null,
    val findings: List<ChecklistItem> = emptyList(),
    val raised: List<HazardDetail> = emptyList(),
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<FindingsUiState> {
    /** Findings with no hidden danger raised yet. */
    val pending: List<ChecklistItem> get() = findings.filter { it.hazards.isEmpty() }
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Raise a hidden danger (隐患) from each non-conforming item of an
 * inspection: description, level and legal basis come from the item; the
 * inspector adds where, the before photos and the measures required.
 *
 * Why a screen of its own: a finding is not yet a hidden danger; the
 * inspector decides, item by item, with photos, and each one raised enters
 * the rectification loop (R5) and may go on an order ([OrderViewModel]).
 */
class FindingsViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<FindingsUiState>(FindingsUiState(), io, main) {

    /** Loads the non-conforming items of [inspectionId] and the hidden dangers already raised from them. */
    fun load(inspectionId: String): Job = action {
        val (inspection, findings, raised) = onIo {
            val items = store.inspectionItems(inspectionId).filter { it.isFinding() }
            Triple(store.inspection(inspectionId), items, items.flatMap { it.hazards }.map { store.hazard(it) })
        }
        update { it.copy(inspection = inspection, findings = findings, raised = raised) }
    }

    /**
     * Raises the hidden danger of item [itemCode]. Without a [deadline]
     * (`YYYY-MM-DD`) the policy's deadline for its level applies; [onSite]
     * is a general one fixed on the spot (R6). [kind] (隐患类别) left out is
     * an unsafe condition (物的危险状态).
     */
    fun raise(
        itemCode: String,
        location: String,
        beforePhotoPaths: List<String>,
        requiredMeasures: String,
        coInspectors: List<String>,
        deadline: String? = null,
        onSite: Boolean = false,
        kind: HazardKind? = null,
    ): Job = action {
        val inspection = state.value.inspection ?: throw IllegalStateException("load an inspection first")
        val (hazard, findings) = onIo {
            val h = store.reportHazard(
                NewHazardInput(
                    enterprise = inspection.enterprise, inspectionId = inspection.id, itemCode = itemCode,
                    description = null, location = location, level = null, onSite = onSite,
                    beforePhotoPaths = beforePhotoPaths, requiredMeasures = requiredMeasures, responsiblePerson = "",
                    coInspectors = coInspectors, deadline = deadline, kind = kind,
                )
            )
            h to store.inspectionItems(inspection.id).filter { it.isFinding() }
        }
        update { it.copy(findings = findings, raised = it.raised + hazard) }
    }

    private fun ChecklistItem.isFinding() = finding || answer == AnswerValue.DoesNotConform
}
