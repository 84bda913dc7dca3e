package cn.paicha.demo.model

import cn.paicha.DueInspectionInfo
import cn.paicha.EnterpriseInfo
import cn.paicha.PaichaStoreInterface
import cn.paicha.PersonInfo
import cn.paicha.Role
import cn.paicha.TemplateInfo
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The enterprise picker: the enterprises in scope, most urgent inspection first, and the chosen one's checklists. */
data class EnterprisePickerUiState(
    val due: List<DueInspectionInfo> = emptyList(),
    val colleagues: List<PersonInfo> = emptyList(),
    val selected: EnterpriseInfo? = null,
    val templates: List<TemplateInfo> = emptyList(),
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<EnterprisePickerUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Pick where to inspect: only the enterprises in the inspector's scope
 * (R2), each with the day its next routine inspection is due (overdue
 * first), then a checklist template of the enterprise's sectors.
 *
 * Why: an inspector in the car chooses the next stop from this list, offline.
 */
class EnterprisePickerViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<EnterprisePickerUiState>(EnterprisePickerUiState(), io, main) {

    /**
     * Loads (or reloads, after a sync) the enterprises in scope with their
     * due dates, and the other inspectors to choose a co-inspector from (an
     * enforcement inspection and an order need two, §2 and §4).
     */
    fun refresh(): Job = action {
        val (due, colleagues) = onIo {
            val me = store.user()
            store.inspectionsDue() to store.people().filter { it.role == Role.INSPECTOR && it.id != me }
        }
        update { it.copy(due = due, colleagues = colleagues) }
    }

    /**
     * Chooses an enterprise (credit code) and offers the latest version of
     * each template of its sectors, or every template if none matches.
     */
    fun select(creditCode: String): Job = action {
        val (enterprise, templates) = onIo {
            val enterprise = store.enterprises().firstOrNull { it.creditCode == creditCode }
                ?: throw IllegalArgumentException("enterprise $creditCode is not in your scope")
            enterprise to store.templates()
        }
        val latest = templates.groupBy { it.id }.values.map { versions -> versions.maxBy { it.version } }
        val ofSectors = latest.filter { it.sector in enterprise.sectors }
        update { it.copy(selected = enterprise, templates = ofSectors.ifEmpty { latest }) }
    }
}
