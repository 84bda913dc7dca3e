package cn.paicha.demo.model

import cn.paicha.OrderInfo
import cn.paicha.PaichaStoreInterface
import cn.paicha.SignatureInput
import cn.paicha.SignerCapacity
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job
import java.io.File

/** The order screen: the order issued, and the PDF printed from it. */
data class OrderUiState(
    val order: OrderInfo? = null,
    val pdfPath: String? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<OrderUiState> {
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Issue the rectification order (责令限期整改指令书, §4) for the hidden
 * dangers raised at one enterprise, with the signatures captured on the
 * tablet, and print it as a PDF for the portable printer.
 *
 * Why offline: the inspector hands the order over on site. Its number is the
 * next of this tablet's own sequence (R15), so two tablets never take the
 * same one; the PDF is written by the library in the CJK font at
 * [fontPath] (Android: `/system/fonts/NotoSansCJK-Regular.ttc`) into
 * [outDir] (the app's cache), then handed to the print service.
 */
class OrderViewModel(
    private val store: PaichaStoreInterface,
    private val fontPath: String,
    private val outDir: File,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<OrderUiState>(OrderUiState(), io, main) {

    /**
     * Issues the order for [hazardIds] (one enterprise, handled by a
     * deadline) with [coInspectors]: two certified inspectors in all (§4).
     * Signatures are JPEG files from the signature pad: the signed-in
     * inspector's, and the enterprise representative's with the name they
     * gave; one not captured is signed by hand on the printed copy.
     */
    fun issue(
        hazardIds: List<String>,
        coInspectors: List<String>,
        inspectorSignature: String? = null,
        representativeName: String = "",
        representativeSignature: String? = null,
    ): Job = action {
        val order = onIo {
            val signatures = buildList {
                if (inspectorSignature != null) {
                    val me = store.user() ?: throw IllegalStateException("no one is signed in on this tablet")
                    add(SignatureInput(SignerCapacity.INSPECTOR, me, inspectorSignature))
                }
                if (representativeSignature != null) {
                    require(representativeName.isNotBlank()) { "representative: the name of who signs for the enterprise is required" }
                    add(SignatureInput(SignerCapacity.ENTERPRISE_REPRESENTATIVE, representativeName.trim(), representativeSignature))
                }
            }
            store.issueOrder(hazardIds, coInspectors, signatures)
        }
        update { it.copy(order = order, pdfPath = null) }
    }

    /** Shows an order already issued (id, prefix or printed number). */
    fun open(idOrNumber: String): Job = action {
        val order = onIo { store.order(idOrNumber) }
        update { it.copy(order = order, pdfPath = null) }
    }

    /** Prints the shown order to a PDF file in [outDir]; its path is then in the state, for the print service. */
    fun print(): Job = action {
        val order = state.value.order ?: throw IllegalStateException("issue or open an order first")
        val pdf = File(outDir, "order-${order.numberParts.series}-${order.numberParts.seq}.pdf")
        onIo {
            outDir.mkdirs()
            store.orderPdf(order.id, fontPath, pdf.path)
        }
        update { it.copy(pdfPath = pdf.path) }
    }
}
