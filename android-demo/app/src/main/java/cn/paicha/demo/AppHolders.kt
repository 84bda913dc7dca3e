// The androidx side of the view models: holders that survive rotation.
package cn.paicha.demo

import android.app.Application
import android.content.Context
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.ViewModel
import cn.paicha.demo.model.SessionViewModel
import cn.paicha.demo.model.StoreSession
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import java.io.File
import java.util.UUID

/**
 * Owns the tablet's store for as long as the app's activity lives:
 * created by `ViewModelProvider` on the first start, kept across rotation,
 * cleared when the user leaves the app, which closes the store (the
 * native handle and its database files).
 *
 * Why here and not in `Application`: `onCleared` is the one callback that
 * says "the app is done", which `Application` never gets.
 */
class SessionHolder(app: Application) : AndroidViewModel(app) {
    val deviceId: String = deviceId(app)
    val session = StoreSession(File(app.filesDir, "paicha").path, deviceId, KeystoreKeyProvider(app))
    val model = SessionViewModel(session, Dispatchers.IO, Dispatchers.Main.immediate)

    override fun onCleared() {
        model.close()
        session.close()
    }

    private companion object {
        /** This tablet's id, made once: the district registers it (`paicha-server device add --device ...`). */
        fun deviceId(context: Context): String {
            val prefs = context.getSharedPreferences("paicha", Context.MODE_PRIVATE)
            prefs.getString("device_id", null)?.let { return it }
            val id = "tab-" + UUID.randomUUID().toString().take(8)
            prefs.edit().putString("device_id", id).apply()
            return id
        }
    }
}

/**
 * Holds one screen's view model across rotation and closes it (cancelling
 * its work) when the screen's owner is cleared.
 *
 * Why one generic holder: every view model of the app is a plain Kotlin
 * class (tested on the JVM); this is the only androidx code they need.
 */
class ModelHolder<M : AutoCloseable>(val model: M) : ViewModel() {
    override fun onCleared() = model.close()
}

/** Where the user is in the app; kept across rotation. */
sealed interface Route {
    data object Enroll : Route
    data object Home : Route
    data object Picker : Route
    data class Checklist(val templateId: String, val enterprise: String, val coInspector: String?) : Route
    data class Findings(val inspectionId: String, val coInspector: String?) : Route
    data class Order(val hazardIds: List<String>, val coInspector: String?) : Route
    data object Evidence : Route
    data object Review : Route
    data class Hazard(val hazardId: String) : Route
    data object Sync : Route
    data object Conflicts : Route
    data object RefusedEdits : Route
}

/**
 * The back stack of [Route]s, in a `ViewModel` so rotation keeps it.
 * (Process death restarts at the sign-in screen, which resumes the
 * enrolled user from the store; work in progress is in the store already.)
 */
class Navigator : ViewModel() {
    private val stack = MutableStateFlow<List<Route>>(listOf(Route.Enroll))
    val backStack: StateFlow<List<Route>> = stack.asStateFlow()

    fun go(route: Route) {
        stack.value = stack.value + route
    }

    /** Replaces the whole stack (after sign-in). */
    fun reset(route: Route) {
        stack.value = listOf(route)
    }

    /** False when there is nowhere to go back to (the activity then finishes). */
    fun back(): Boolean {
        if (stack.value.size <= 1) return false
        stack.value = stack.value.dropLast(1)
        return true
    }
}
