// The Android layer of the demo (needs the Android SDK; CI does not compile
// it): one activity, Compose screens over the plain-Kotlin view models of
// model/ (which CI tests on the JVM), each held in an androidx ViewModel.
package cn.paicha.demo

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.BackHandler
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.ui.*
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers

/** The dispatchers every view model gets on the device: blocking library calls on IO, state on main. */
val ioDispatcher: CoroutineDispatcher = Dispatchers.IO
val mainDispatcher: CoroutineDispatcher = Dispatchers.Main.immediate

/**
 * A screen's view model, made once per [key] by `ViewModelProvider` (through
 * Compose's `viewModel`) and kept across rotation in a [ModelHolder], which
 * closes it when the activity finishes.
 */
@Composable
inline fun <reified M : AutoCloseable> screenModel(key: String, noinline create: () -> M): M =
    viewModel<ModelHolder<M>>(key = key, initializer = { ModelHolder(create()) }).model

/**
 * The app's only activity: the back stack of [Route]s from [Navigator], the
 * store from [SessionHolder] (both androidx ViewModels: rotation keeps them;
 * leaving the app clears them and closes the store).
 */
class MainActivity : ComponentActivity() {
    private val holder: SessionHolder by viewModels()
    private val navigator: Navigator by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                Surface {
                    val stack by navigator.backStack.collectAsStateWithLifecycle()
                    BackHandler(enabled = stack.size > 1) { navigator.back() }
                    Screen(stack.last())
                }
            }
        }
    }

    @Composable
    private fun Screen(route: Route) {
        val back: () -> Unit = { if (!navigator.back()) finish() }
        if (route == Route.Enroll) {
            EnrollScreen(holder.model, holder.deviceId, onSignedIn = { navigator.reset(Route.Home) })
            return
        }
        // Every other screen works on the signed-in store, opened by the sign-in screen off the
        // main thread; `current()` never opens it (never blocks). Not open: back to sign-in.
        val store: PaichaStoreInterface = holder.session.current() ?: run {
            navigator.reset(Route.Enroll)
            return
        }
        when (route) {
            Route.Enroll -> Unit
            Route.Home -> HomeScreen(holder.model, navigator::go)
            Route.Picker -> PickerScreen(store, navigator::go, back)
            is Route.Checklist -> ChecklistScreen(store, route, navigator::go, back)
            is Route.Findings -> FindingsScreen(store, route, navigator::go, back)
            is Route.Order -> OrderScreen(store, route, back)
            Route.Evidence -> EvidenceScreen(store, back)
            Route.Review -> ReviewScreen(store, navigator::go, back)
            is Route.Hazard -> HazardScreen(store, route.hazardId, back)
            Route.Sync -> SyncScreen(store, navigator::go, back)
            Route.Conflicts -> ConflictsScreen(store, back)
            Route.RefusedEdits -> RefusedEditsScreen(store, back)
        }
    }
}
