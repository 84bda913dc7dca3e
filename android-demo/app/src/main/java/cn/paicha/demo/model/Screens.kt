// Screen logic of the demo app: plain Kotlin state holders with no Android
// imports, so they compile and are tested on the JVM against the real
// library (see app/src/test). Every call blocks on disk or network: the
// Android layer (MainActivity) runs them on a background executor and
// renders `state` on the main thread.
package cn.paicha.demo.model

import cn.paicha.*

/** What a screen shows when an action failed: a message and, for rule errors, the rule. */
data class Problem(val message: String, val rule: String? = null)

/**
 * Turns a library error into something a screen can show. The exception's
 * message is the sentence to show; a Forbidden one starts with the rule id
 * and ": " (R8: ...), an InvalidInput one with the input's name.
 */
fun problemOf(e: Throwable): Problem = when (e) {
    is PaichaException.Forbidden -> Problem(e.message ?: "forbidden", e.message?.substringBefore(": "))
    is PaichaException.InvalidInput -> Problem(e.message ?: "invalid input")
    is PaichaException.NotFound -> Problem(e.message ?: "not found")
    is PaichaException.Network -> Problem("offline: your work is kept and will sync later")
    is PaichaException.NotEnrolled -> Problem("this tablet is not enrolled")
    is PaichaException.Cancelled -> Problem("sync cancelled")
    else -> Problem(e.message ?: e.toString())
}

/** Sign in: open the tablet's store, enroll with a server or try the demo district offline. */
class SessionModel(private val dataDir: String, private val deviceId: String) {
    data class State(val user: String? = null, val problem: Problem? = null)

    var state = State()
        private set
    var store: PaichaStore? = null
        private set

    private fun open(): PaichaStore = store ?: PaichaStore.open(dataDir, deviceId).also { store = it }

    /** Enrolls with the code the district gave this tablet. */
    fun enroll(serverUrl: String, code: String) {
        state = try {
            State(user = open().enroll(serverUrl, code).id)
        } catch (e: Exception) {
            State(problem = problemOf(e))
        }
    }

    /** Offline demo: the demo district, signed in as `personId`. */
    fun signInDemo(personId: String) {
        state = try {
            val s = open()
            s.loadDemoDistrict()
            s.setUser(personId)
            State(user = personId)
        } catch (e: Exception) {
            State(problem = problemOf(e))
        }
    }
}

/** Run a checklist offline: pick an enterprise and template, answer items, complete, report. */
class InspectionModel(private val store: PaichaStore) {
    data class State(
        val enterprises: List<EnterpriseInfo> = emptyList(),
        val templates: List<TemplateInfo> = emptyList(),
        val inspection: InspectionInfo? = null,
        val items: List<ChecklistItem> = emptyList(),
        val completion: CompletionInfo? = null,
        val raised: List<HazardDetail> = emptyList(),
        val problem: Problem? = null,
    )

    var state = State()
        private set

    fun load() {
        state = try {
            state.copy(enterprises = store.enterprises(), templates = store.templates(), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    fun start(
        templateId: String,
        enterprise: String,
        coInspectors: List<String>,
        source: InspectionSource = InspectionSource.ROUTINE,
        location: GpsLocation? = null,
    ) {
        state = try {
            val i = store.startInspection(templateId, enterprise, coInspectors, coInspectors.isNotEmpty(), source, location)
            state.copy(inspection = i, items = store.inspectionItems(i.id), completion = null, raised = emptyList(), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    /** `value` must fit the item's `kind` (NotApplicable fits every kind). */
    fun answer(itemCode: String, value: AnswerValue, note: String = "", photoPaths: List<String> = emptyList()) {
        val i = state.inspection ?: return
        state = try {
            store.answer(i.id, itemCode, value, note, photoPaths)
            state.copy(items = store.inspectionItems(i.id), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    /** Reports a hidden danger from a non-conforming item (pre-filled from the item). */
    fun reportFinding(itemCode: String, beforePhotoPaths: List<String>, coInspectors: List<String>) {
        val i = state.inspection ?: return
        state = try {
            val h = store.reportHazard(
                NewHazardInput(
                    enterprise = i.enterprise, inspectionId = i.id, itemCode = itemCode, description = null,
                    location = "", level = null, onSite = false, beforePhotoPaths = beforePhotoPaths,
                    requiredMeasures = "", responsiblePerson = "", coInspectors = coInspectors, deadline = null,
                )
            )
            state.copy(raised = state.raised + h, items = store.inspectionItems(i.id), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    /** Completes the inspection; every item must be answered first (R4: the problem lists the others). */
    fun complete() {
        val i = state.inspection ?: return
        state = try {
            state.copy(completion = store.completeInspection(i.id), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }
}

/** The hidden dangers in scope, overdue ones, and one record's detail. */
class HazardsModel(private val store: PaichaStore) {
    data class State(
        val all: List<HazardSummary> = emptyList(),
        val overdue: List<HazardSummary> = emptyList(),
        val selected: HazardDetail? = null,
        val problem: Problem? = null,
    )

    var state = State()
        private set

    fun refresh() {
        state = try {
            state.copy(all = store.listHazards(null, null), overdue = store.overdue(), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    fun open(id: String) {
        state = try {
            state.copy(selected = store.hazard(id), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    /** Enterprise: submit rectification evidence for the selected record. */
    fun submitEvidence(description: String, afterPhotoPaths: List<String>) {
        val h = state.selected ?: return
        state = try {
            state.copy(selected = store.submitEvidence(h.id, description, afterPhotoPaths), problem = null)
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }
}

/** Supervisor: the review queue, approve or reject. */
class ReviewModel(private val store: PaichaStore) {
    data class State(val queue: List<HazardSummary> = emptyList(), val problem: Problem? = null)

    var state = State()
        private set

    fun refresh() {
        state = try {
            State(queue = store.reviewQueue())
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }

    fun decide(id: String, approve: Boolean, opinion: String) {
        state = try {
            store.review(id, if (approve) Decision.APPROVE else Decision.REJECT, opinion)
            State(queue = store.reviewQueue())
        } catch (e: Exception) {
            state.copy(problem = problemOf(e))
        }
    }
}

/** Sync with progress and cancel, refused edits and conflicts to show. */
class SyncModel(private val store: PaichaStore) {
    data class State(
        val running: Boolean = false,
        val progress: SyncProgressInfo? = null,
        val last: SyncSummary? = null,
        val conflicts: List<HazardSummary> = emptyList(),
        val refused: List<RefusalInfo> = emptyList(),
        val problem: Problem? = null,
    )

    @Volatile
    var state = State()
        private set
    private var cancel: CancelToken? = null

    /** Blocks until the sync ends; `state.progress` moves while it runs. */
    fun syncNow() {
        val token = CancelToken().also { cancel = it }
        state = state.copy(running = true, problem = null)
        state = try {
            val summary = store.sync(object : SyncProgressListener {
                override fun onProgress(`progress`: SyncProgressInfo) {
                    state = state.copy(progress = `progress`)
                }
            }, token)
            state.copy(running = false, last = summary, conflicts = store.conflicts(), refused = store.refusedEdits())
        } catch (e: Exception) {
            state.copy(running = false, problem = problemOf(e))
        }
    }

    fun cancel() {
        cancel?.cancel()
    }
}
