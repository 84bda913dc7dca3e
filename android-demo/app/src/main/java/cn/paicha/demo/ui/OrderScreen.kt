package cn.paicha.demo.ui

import android.content.Context
import android.print.PrintManager
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.OrderViewModel
import cn.paicha.demo.screenModel
import java.io.File

/** Android's own CJK font: the library prints the order in it (only the glyphs used are embedded). */
const val ANDROID_CJK_FONT = "/system/fonts/NotoSansCJK-Regular.ttc"

/**
 * The rectification order: signatures of the inspector and the enterprise's
 * representative, issue (offline, numbered in this tablet's sequence), then
 * print through the print service.
 */
@Composable
fun OrderScreen(store: PaichaStoreInterface, route: Route.Order, back: () -> Unit) {
    val context = LocalContext.current
    val model = screenModel("order-${route.hazardIds.joinToString()}") {
        OrderViewModel(store, ANDROID_CJK_FONT, File(context.cacheDir, "print"), ioDispatcher, mainDispatcher)
    }
    val state by model.state.collectAsStateWithLifecycle()
    var inspectorSignature by rememberSaveable { mutableStateOf<String?>(null) }
    var representativeSignature by rememberSaveable { mutableStateOf<String?>(null) }
    var representative by rememberSaveable { mutableStateOf("") }

    ScreenFrame("责令限期整改指令书", state.loading, state.problem, back) {
        val order = state.order
        if (order == null) {
            SignaturePad("检查员签名") { inspectorSignature = it }
            OutlinedTextField(representative, { representative = it }, label = { Text("被检查单位负责人") })
            SignaturePad("被检查单位负责人签名") { representativeSignature = it }
            Button(enabled = !state.loading, onClick = {
                model.issue(
                    route.hazardIds, listOfNotNull(route.coInspector),
                    inspectorSignature, representative, representativeSignature,
                )
            }) { Text("下达") }
        } else {
            Text(order.number)
            Text("${order.enterpriseName} · ${order.hazards.size}项隐患")
            for (h in order.hazards) Text("${h.itemCode ?: ""} ${h.description} · 期限 ${h.deadline}")
            Button(onClick = { model.print() }) { Text("生成PDF") }
            state.pdfPath?.let { path ->
                Button(onClick = { print(context, File(path), order.number) }) { Text("打印") }
            }
        }
    }
}

private fun print(context: Context, pdf: File, name: String) {
    val manager = context.getSystemService(Context.PRINT_SERVICE) as PrintManager
    manager.print(name, PdfPrintAdapter(pdf, name), null)
}
