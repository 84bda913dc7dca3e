package cn.paicha.demo.model

import cn.paicha.AnswerKind
import cn.paicha.AnswerValue
import cn.paicha.ChecklistItem
import cn.paicha.CompletionInfo
import cn.paicha.GpsLocation
import cn.paicha.InspectionInfo
import cn.paicha.InspectionSource
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The checklist screen: the inspection, its items with their answers, and the completion's findings. */
data class ChecklistUiState(
    val inspection: InspectionInfo? = null,
    val items: List<ChecklistItem> = emptyList(),
    val completion: CompletionInfo? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<ChecklistUiState> {
    /** Items still to answer; completion is refused while there are any (R4; not applicable is an answer). */
    val unanswered: List<ChecklistItem> get() = items.filter { it.answer == null }

    /** Items answered "does not conform": each may raise a hidden danger (see [FindingsViewModel]). */
    val nonConforming: List<ChecklistItem> get() = items.filter { it.answer == AnswerValue.DoesNotConform || it.finding }

    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Run a checklist offline: start an inspection of an enterprise with a
 * template, answer each item with a value of its kind (conforms or not, a
 * number in the item's unit, a text, a photo; not applicable fits every
 * kind), then complete it.
 *
 * Why the answers are typed: the library refuses a value that does not fit
 * the item (`InvalidInput` on `answer`), and the screen shows the right
 * input for [ChecklistItem.kind]. Everything is stored on the tablet at
 * once; nothing here needs the network.
 */
class ChecklistViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<ChecklistUiState>(ChecklistUiState(), io, main) {

    /**
     * Starts an inspection with the latest version of [templateId] (pinned,
     * R3). An enforcement inspection needs a certified co-inspector (§2).
     */
    fun start(
        templateId: String,
        enterprise: String,
        coInspectors: List<String>,
        enforcement: Boolean = coInspectors.isNotEmpty(),
        source: InspectionSource = InspectionSource.ROUTINE,
        location: GpsLocation? = null,
    ): Job = action {
        val (inspection, items) = onIo {
            val i = store.startInspection(templateId, enterprise, coInspectors, enforcement, source, location)
            i to store.inspectionItems(i.id)
        }
        update { it.copy(inspection = inspection, items = items, completion = null) }
    }

    /** Reopens an inspection in progress (after the app was killed: its id was kept in saved state). */
    fun open(inspectionId: String): Job = action {
        val (inspection, items) = onIo { store.inspection(inspectionId) to store.inspectionItems(inspectionId) }
        update { it.copy(inspection = inspection, items = items, completion = null) }
    }

    /** Answers an item; [value] must fit the item's kind, else the problem names the item and the kind expected. */
    fun answer(itemCode: String, value: AnswerValue, note: String = "", photoPaths: List<String> = emptyList()): Job =
        action {
            val id = requireInspection()
            val items = onIo {
                store.answer(id, itemCode, value, note, photoPaths)
                store.inspectionItems(id)
            }
            update { it.copy(items = items) }
        }

    /**
     * Answers a photo item with the picture the camera just took
     * ([photoPath], a JPEG file the store copies), or adds a photo to an
     * item of another kind without changing its answer.
     */
    fun attachPhoto(itemCode: String, photoPath: String, note: String = ""): Job {
        val item = state.value.items.firstOrNull { it.code == itemCode }
        val value = when {
            item == null || item.kind is AnswerKind.Photo -> AnswerValue.Photo
            else -> item.answer ?: AnswerValue.Photo
        }
        return answer(itemCode, value, note.ifEmpty { item?.note ?: "" }, listOf(photoPath))
    }

    /** Completes the inspection (R4): every item answered, criteria evaluated, findings proposed. */
    fun complete(): Job = action {
        val id = requireInspection()
        val (completion, inspection) = onIo { store.completeInspection(id) to store.inspection(id) }
        update { it.copy(completion = completion, inspection = inspection) }
    }

    private fun requireInspection(): String =
        state.value.inspection?.id ?: throw IllegalStateException("start or open an inspection first")
}
