package cn.paicha.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.ConflictsViewModel
import cn.paicha.demo.screenModel

/** Records two people changed offline at once (R14): what each did, settled by a supervisor with a note. */
@Composable
fun ConflictsScreen(store: PaichaStoreInterface, back: () -> Unit) {
    val model = screenModel("conflicts") { ConflictsViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    var note by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(Unit) { model.refresh() }

    ScreenFrame("冲突（${state.conflicts.size}）", state.loading, state.problem, back) {
        for (h in state.conflicts) {
            Text("${h.enterpriseName} · ${h.description}", Modifier.clickable { model.select(h.id) }.padding(vertical = 8.dp))
        }
        val selected = state.selected ?: return@ScreenFrame
        for (c in selected.conflicts) Text(c.message)
        if (selected.conflicts.isNotEmpty()) {
            OutlinedTextField(note, { note = it }, label = { Text("处理说明") })
            Button(enabled = note.isNotBlank(), onClick = { model.resolve(note) }) { Text("处理") }
        }
    }
}
