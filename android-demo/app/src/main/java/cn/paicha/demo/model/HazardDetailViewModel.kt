package cn.paicha.demo.model

import cn.paicha.HazardDetail
import cn.paicha.PaichaStoreInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** One hidden danger: the whole record with its history and open conflicts, and the photo being shown. */
data class HazardDetailUiState(
    val hazard: HazardDetail? = null,
    val photo: ByteArray? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<HazardDetailUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)

    // ByteArray compares by identity in a data class: compare the bytes.
    override fun equals(other: Any?): Boolean = other is HazardDetailUiState && hazard == other.hazard &&
        photo.contentEquals(other.photo) && loading == other.loading && problem == other.problem

    override fun hashCode(): Int = listOf(hazard, photo?.contentHashCode(), loading, problem).hashCode()
}

/**
 * Show a hidden danger (history, photos) and correct it while it is open:
 * description, location, measures, more before photos.
 *
 * Why edits matter offline: two inspectors may correct the same record on
 * two tablets; both edits are kept and the clash shows as a conflict for a
 * supervisor ([ConflictsViewModel], R14), never a silent overwrite.
 */
class HazardDetailViewModel(
    private val store: PaichaStoreInterface,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<HazardDetailUiState>(HazardDetailUiState(), io, main) {

    /** Loads the record (id or unique prefix). */
    fun open(hazardId: String): Job = action {
        val hazard = onIo { store.hazard(hazardId) }
        update { it.copy(hazard = hazard, photo = null) }
    }

    /** Loads a photo of the record to show ([sha256] from its photo list); one not downloaded yet is a problem. */
    fun showPhoto(sha256: String): Job = action {
        val bytes = onIo { store.photoBytes(sha256) }
        update { it.copy(photo = bytes) }
    }

    /** Corrects the open record; null leaves a field as it is. */
    fun edit(
        description: String? = null,
        location: String? = null,
        requiredMeasures: String? = null,
        beforePhotoPaths: List<String> = emptyList(),
    ): Job = action {
        val id = state.value.hazard?.id ?: throw IllegalStateException("open a hidden danger first")
        val hazard = onIo { store.editHazard(id, description, location, requiredMeasures, beforePhotoPaths) }
        update { it.copy(hazard = hazard) }
    }
}
