package cn.paicha.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.EvidenceViewModel
import cn.paicha.demo.screenModel

/** The enterprise: what to rectify, then evidence with after photos (R7). */
@Composable
fun EvidenceScreen(store: PaichaStoreInterface, back: () -> Unit) {
    val model = screenModel("evidence") { EvidenceViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    var description by rememberSaveable { mutableStateOf("") }
    val photos = rememberSaveable(saver = pathListSaver) { mutableStateListOf<String>() }
    val camera = rememberCamera { photos += it }
    LaunchedEffect(Unit) { model.refresh() }

    ScreenFrame("隐患整改", state.loading, state.problem, back) {
        for (h in state.toRectify) {
            Text("${h.deadline} · ${h.description}", Modifier.clickable { model.select(h.id) }.padding(vertical = 8.dp))
        }
        val selected = state.selected ?: return@ScreenFrame
        Text("${selected.description}（${selected.status}）· 要求: ${selected.requiredMeasures}")
        OutlinedTextField(description, { description = it }, label = { Text("整改情况") })
        Row {
            OutlinedButton(onClick = camera) { Text("拍整改后照片（${photos.size}）") }
            Button(enabled = !state.loading, onClick = { model.submit(description, photos.toList()) }) { Text("提交") }
        }
    }
}
