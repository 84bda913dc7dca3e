package cn.paicha.demo.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.AnswerKind
import cn.paicha.AnswerValue
import cn.paicha.ChecklistItem
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.ChecklistViewModel
import cn.paicha.demo.screenModel

/**
 * The checklist, offline: each item with the input of its kind, a camera
 * button on every item, and completion (R4: every item answered first).
 */
@Composable
fun ChecklistScreen(store: PaichaStoreInterface, route: Route.Checklist, go: (Route) -> Unit, back: () -> Unit) {
    val key = "checklist-${route.enterprise}-${route.templateId}"
    val model = screenModel(key) { ChecklistViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    // Started once: rotation keeps the model (and its inspection, or the start in flight).
    LaunchedEffect(key) {
        val s = model.state.value
        if (s.inspection == null && !s.loading) model.start(route.templateId, route.enterprise, listOfNotNull(route.coInspector))
    }
    var photoFor by rememberSaveable { mutableStateOf<String?>(null) }
    val camera = rememberCamera { path -> photoFor?.let { model.attachPhoto(it, path) } }

    ScreenFrame("检查表 · 未答${state.unanswered.size}项", state.loading, state.problem, back) {
        for (item in state.items) {
            ItemRow(item, onAnswer = { value, note -> model.answer(item.code, value, note) }, onPhoto = {
                photoFor = item.code
                camera()
            })
            HorizontalDivider()
        }
        val inspection = state.inspection
        if (inspection?.completed == true) {
            Text("已完成: 发现问题 ${state.completion?.findings?.size ?: 0} 项")
            Button(onClick = { go(Route.Findings(inspection.id, route.coInspector)) }) { Text("登记隐患") }
        } else {
            Button(enabled = !state.loading, onClick = { model.complete() }) { Text("完成检查") }
        }
    }
}

@Composable
private fun ItemRow(item: ChecklistItem, onAnswer: (AnswerValue, String) -> Unit, onPhoto: () -> Unit) {
    var note by rememberSaveable(item.code) { mutableStateOf(item.note) }
    var input by rememberSaveable(item.code) { mutableStateOf("") }
    Column(Modifier.padding(vertical = 8.dp)) {
        Text("${item.code} ${item.question}")
        Text("依据: ${item.legalBasis} · 当前: ${item.answer?.let(::label) ?: "未答"}")
        Row {
            when (val kind = item.kind) {
                is AnswerKind.Compliance -> {
                    TextButton(onClick = { onAnswer(AnswerValue.Conforms, note) }) { Text("符合") }
                    TextButton(onClick = { onAnswer(AnswerValue.DoesNotConform, note) }) { Text("不符合") }
                }
                is AnswerKind.Number -> {
                    OutlinedTextField(input, { input = it }, label = { Text(kind.unit) }, singleLine = true)
                    // Not a number: the library is not called; a wrong one it refuses (InvalidInput on answer).
                    TextButton(onClick = { input.toDoubleOrNull()?.let { onAnswer(AnswerValue.Number(it), note) } }) { Text("记录") }
                }
                is AnswerKind.Text -> {
                    OutlinedTextField(input, { input = it }, singleLine = false)
                    TextButton(onClick = { onAnswer(AnswerValue.Text(input), note) }) { Text("记录") }
                }
                is AnswerKind.Photo -> Unit
            }
            TextButton(onClick = { onAnswer(AnswerValue.NotApplicable, note) }) { Text("不适用") }
            OutlinedButton(onClick = onPhoto) { Text("拍照") }
        }
        OutlinedTextField(note, { note = it }, label = { Text("备注") }, singleLine = true)
    }
}

private fun label(v: AnswerValue): String = when (v) {
    AnswerValue.Conforms -> "符合"
    AnswerValue.DoesNotConform -> "不符合"
    AnswerValue.NotApplicable -> "不适用"
    is AnswerValue.Number -> v.value.toString()
    is AnswerValue.Text -> v.text
    AnswerValue.Photo -> "已拍照"
}
