package dashboard

import (
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/internal/i18n"
)

// Languages the pages are written in. Vietnamese is the default.
const (
	langVI = i18n.VI
	langEN = i18n.EN
)

const langCookie = "lang"

// msg is one user-visible string in both languages.
type msg = i18n.Message

// Locale translates the page's strings into one language (i18n.Locale over
// this package's messages) and formats its dates and names.
type Locale struct{ i18n.Locale }

func newLocale(lang string) Locale { return Locale{i18n.Locale{Lang: lang, Catalog: messages}} }

// Date formats a day for prose: 13/08/2020 in Vietnamese, 13 Aug 2020 in English.
func (l Locale) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if l.Lang == langEN {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// Kind names a denominator kind ("population", "adults", "smartphones").
func (l Locale) Kind(kind string) string { return l.T("kind." + kind) }

// pickLocale chooses the page language: ?lang= (which also sets the cookie
// for the next pages), else the cookie, else Vietnamese.
func pickLocale(w http.ResponseWriter, r *http.Request) Locale {
	lang, remember := i18n.Choose(r, langCookie)
	if remember {
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 86400,
			HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	return newLocale(lang)
}

// messages holds every string the pages show, in Vietnamese and English.
var messages = i18n.Catalog{
	// Layout.
	"site.name":        {"Bluezone", "Bluezone"},
	"site.tagline":     {"Số liệu công khai về cài đặt và truy vết tiếp xúc", "Public figures on installs and contact tracing"},
	"nav.label":        {"Điều hướng chính", "Main navigation"},
	"nav.national":     {"Toàn quốc", "Nationwide"},
	"nav.transparency": {"Minh bạch", "Transparency"},
	"lang.other":       {"English", "Tiếng Việt"},
	"lang.other.title": {"Xem trang bằng tiếng Anh", "Xem trang bằng tiếng Việt"},
	"skip":             {"Bỏ qua, đến nội dung chính", "Skip to main content"},
	"noscript":         {"Biểu đồ và bản đồ cần JavaScript; mọi số liệu đều có trong các bảng.", "Charts and the map need JavaScript; every figure is also in the tables."},
	"footer.privacy":   {"Số liệu đến từ các lần gửi tín hiệu ẩn danh của ứng dụng: không có tên, số điện thoại, vị trí hay địa chỉ IP.", "Figures come from the app's anonymous check-ins: no names, phone numbers, locations or IP addresses."},
	"footer.map":       {"Biểu đồ và bản đồ vẽ bằng Apache ECharts; ranh giới hành chính năm 2020.", "Charts and map drawn with Apache ECharts; administrative boundaries as of 2020."},
	"date.label":       {"Ngày số liệu", "Date of figures"},
	"date.show":        {"Xem", "Show"},
	"asof":             {"Số liệu ngày %s", "Figures for %s"},
	"none":             {"—", "—"},

	// Denominator kinds.
	"kind.population":  {"dân số", "population"},
	"kind.adults":      {"người trưởng thành", "adults"},
	"kind.smartphones": {"điện thoại thông minh", "smartphones"},

	// Figures.
	"card.label":        {"Số liệu chính", "Key figures"},
	"card.installs":     {"Lượt cài đặt", "Installs"},
	"card.active":       {"Thiết bị đang hoạt động", "Active devices"},
	"card.active.note":  {"đã gửi tín hiệu trong những ngày gần đây", "checked in over the last days"},
	"card.rate":         {"Tỷ lệ cài đặt", "Install rate"},
	"card.rate.note":    {"trên %s (%s)", "of %s (%s)"},
	"card.reach":        {"Tiếp xúc có thể truy vết", "Contacts traceable"},
	"card.change":       {"%s so với hôm qua", "%s since yesterday"},
	"reach.explain":     {"Một tiếp xúc gần chỉ được ghi nhận khi cả hai người đều cài ứng dụng, nên tỷ lệ tiếp xúc truy vết được xấp xỉ bình phương tỷ lệ cài đặt: 8.82% cài đặt ⇒ dưới 1% số tiếp xúc; 60% ⇒ 36%.", "A close contact is recorded only when both people have the app, so the share of contacts that can be traced is about the install rate squared: 8.82% installed ⇒ under 1% of contacts; 60% ⇒ 36%."},
	"reach.short":       {"≈ %s tiếp xúc truy vết được", "≈ %s of contacts traceable"},
	"source.imported":   {"Số liệu báo cáo chính thức (nhập ngày %s)", "Officially reported figure (imported, dated %s)"},
	"source.imported.s": {"báo cáo", "reported"},
	"source.mixed":      {"Tổng gồm cả số đếm từ ứng dụng và số liệu báo cáo chính thức đã nhập.", "The total mixes counted check-ins and imported official figures."},

	"ranking.title":  {"Bảng xếp hạng các tỉnh, thành phố", "Province ranking"},
	"national.title": {"Tình hình cài đặt Bluezone toàn quốc", "Bluezone installs nationwide"},

	// Target.
	"target.title":    {"Tiến độ tới mục tiêu", "Progress toward the target"},
	"target.goal":     {"Mục tiêu: %s %s trước ngày %s, tức %s lượt cài.", "Target: %s of %s by %s, that is %s installs."},
	"target.progress": {"Đã đạt %s mục tiêu", "%s of the target reached"},
	"target.required": {"Cần mỗi ngày", "Needed per day"},
	"target.pace":     {"Tốc độ hiện tại", "Current pace"},
	"target.perday":   {"%s/ngày", "%s/day"},
	"target.daysleft": {"Còn %d ngày", "%d days left"},
	"target.eta":      {"Với tốc độ hiện tại, đạt mục tiêu sau %d ngày.", "At the current pace the target is reached in %d days."},
	"target.never":    {"Với tốc độ hiện tại (bằng 0), chưa thể đạt mục tiêu.", "At the current pace (zero) the target is never reached."},
	"target.reached":  {"Đã đạt mục tiêu.", "Target reached."},
	"target.ontrack":  {"Đúng tiến độ", "On track"},
	"target.behind":   {"Chậm tiến độ", "Behind schedule"},
	"target.none":     {"Chưa đặt mục tiêu.", "No target set."},

	// Map and charts.
	"map.title":       {"Tỷ lệ cài đặt theo tỉnh, thành phố", "Install rate by province"},
	"map.alt":         {"Bản đồ Việt Nam tô màu theo tỷ lệ cài đặt của 63 tỉnh, thành phố, có quần đảo Hoàng Sa và Trường Sa. Số liệu chi tiết ở bảng xếp hạng.", "Map of Viet Nam coloured by the install rate of the 63 provinces, with the Hoàng Sa and Trường Sa archipelagos. The ranking table has every figure."},
	"map.hoangsa":     {"Quần đảo Hoàng Sa", "Hoàng Sa archipelago"},
	"map.truongsa":    {"Quần đảo Trường Sa", "Trường Sa archipelago"},
	"map.low":         {"Thấp", "Low"},
	"map.high":        {"Cao", "High"},
	"series.title":    {"Lượt cài đặt theo ngày", "Installs per day"},
	"series.alt":      {"Biểu đồ đường: lượt cài đặt theo ngày và đường dự báo theo tốc độ hiện tại.", "Line chart: installs per day and a projection at the current pace."},
	"series.actual":   {"Thực tế", "Actual"},
	"series.proj":     {"Dự báo theo tốc độ hiện tại", "Projected at the current pace"},
	"series.target":   {"Mục tiêu", "Target"},
	"districts.chart": {"Tỷ lệ cài đặt theo quận, huyện", "Install rate by district"},
	"districts.alt":   {"Biểu đồ cột: tỷ lệ cài đặt của từng quận, huyện. Số liệu chi tiết ở bảng.", "Bar chart: install rate of each district. The table has every figure."},

	// Tables.
	"sort.by":             {"Sắp xếp theo %s", "Sort by %s"},
	"col.rank":            {"Hạng", "Rank"},
	"col.province":        {"Tỉnh, thành phố", "Province"},
	"col.district":        {"Quận, huyện", "District"},
	"col.installs":        {"Lượt cài", "Installs"},
	"col.active":          {"Đang hoạt động", "Active"},
	"col.denominator":     {"Mẫu số", "Denominator"},
	"col.rate":            {"Tỷ lệ", "Rate"},
	"col.reach":           {"Truy vết dự kiến", "Expected reach"},
	"col.change":          {"Thay đổi so với hôm qua", "Change since yesterday"},
	"col.days":            {"Số ngày tới mục tiêu", "Days to target"},
	"days.reached":        {"đã đạt", "reached"},
	"days.never":          {"—", "—"},
	"table.provinces":     {"Xếp hạng 63 tỉnh, thành phố theo tỷ lệ cài đặt ngày %s. Chọn tiêu đề cột để sắp xếp.", "The 63 provinces ranked by install rate on %s. Choose a column heading to sort."},
	"table.districts":     {"Các quận, huyện của %s ngày %s. Chọn tiêu đề cột để sắp xếp.", "Districts of %s on %s. Choose a column heading to sort."},
	"table.rank.change":   {"%+d hạng so với hôm qua", "%+d places since yesterday"},
	"downloads.title":     {"Tải dữ liệu", "Download the data"},
	"downloads.note":      {"Cùng số liệu như trên trang, ngày %s. Đường dẫn ổn định; đổi tham số date=YYYY-MM-DD để lấy ngày khác.", "The same figures as on this page, for %s. Stable links; change date=YYYY-MM-DD for another day."},
	"downloads.national":  {"Bảng xếp hạng các tỉnh", "Province ranking"},
	"downloads.districts": {"Bảng các quận, huyện", "District table"},

	// Province page.
	"province.title":         {"%s: tình hình cài đặt Bluezone", "%s: Bluezone installs"},
	"province.rank":          {"Hạng %d/63 toàn quốc", "Ranked %d of 63 nationwide"},
	"province.back":          {"← Toàn quốc", "← Nationwide"},
	"unattributed.title":     {"Chưa phân bổ về quận, huyện", "Not attributed to a district"},
	"unattributed.formula":   {"Tổng của tỉnh %s − tổng các quận, huyện %s = %s", "Province total %s − districts' sum %s = %s"},
	"unattributed.flag":      {"Cảnh báo: tổng của tỉnh và tổng các quận, huyện trong số liệu báo cáo không khớp nhau.", "Warning: in the reported figures the province total and the districts' sum disagree."},
	"unattributed.counted":   {"Thiết bị đã gửi tín hiệu nhưng không cho biết quận, huyện.", "Devices that checked in without giving a district."},
	"unattributed.negative":  {"Số âm: các quận, huyện cộng lại nhiều hơn tổng của tỉnh.", "Negative: the districts add up to more than the province total."},
	"agencies.title":         {"Báo cáo triển khai của các cơ quan, đơn vị", "Agencies' deployment reports"},
	"agencies.campaign":      {"Đợt triển khai: %s. Hạn hướng dẫn: %s. Hạn báo cáo: %s.", "Campaign: %s. Guidance due: %s. Reports due: %s."},
	"agencies.summary":       {"%d đơn vị đã báo cáo, %d đơn vị trễ hạn; %s/%s cán bộ đã cài (%s).", "%d units reported, %d late; %s of %s staff have the app (%s)."},
	"agencies.none":          {"Chưa có đợt triển khai nào cho tỉnh này.", "No deployment campaign for this province yet."},
	"agencies.caption":       {"Báo cáo của các cơ quan, đơn vị trong đợt %s", "Reports of the units in campaign %s"},
	"col.unit":               {"Cơ quan, đơn vị", "Agency or unit"},
	"col.staff":              {"Số cán bộ", "Staff"},
	"col.installed":          {"Đã cài", "With the app"},
	"col.status":             {"Tình trạng", "Status"},
	"col.reportdate":         {"Ngày báo cáo", "Report date"},
	"status.reported":        {"Đã báo cáo", "Reported"},
	"status.late":            {"Trễ hạn", "Late"},
	"status.missing":         {"Chưa báo cáo", "Not reported"},
	"agencies.total":         {"Tổng cộng", "Total"},
	"province.notfound":      {"Không có tỉnh, thành phố mang mã %q.", "There is no province with code %q."},
	"province.districtcount": {"%d quận, huyện", "%d districts"},

	// Transparency page.
	"tr.title":             {"Minh bạch: khóa đã công bố và cách hệ thống hoạt động", "Transparency: published keys and how the system works"},
	"tr.lead":              {"Trang này cho mọi người kiểm tra máy chủ làm gì: bao nhiêu khóa được công bố, tệp nào được phát hành, ký bằng khóa nào, và máy chủ giữ những gì.", "This page lets anyone check what the server does: how many keys were published, which files were released, which keys signed them, and what the server keeps."},
	"tr.unavailable":       {"Chưa có số liệu: máy chủ khóa chưa được kết nối với trang này.", "No figures yet: the key server is not connected to this page."},
	"tr.keys.title":        {"Khóa được công bố mỗi ngày", "Keys published per day"},
	"tr.keys.alt":          {"Biểu đồ cột: số khóa được công bố mỗi ngày trong %d ngày qua.", "Bar chart: keys published per day over the last %d days."},
	"tr.keys.caption":      {"Số khóa chẩn đoán được công bố mỗi ngày trong %d ngày qua", "Diagnosis keys published per day over the last %d days"},
	"tr.keys.total":        {"Tổng cộng %s khóa trong %d ngày.", "%s keys in total over %d days."},
	"col.date":             {"Ngày", "Date"},
	"col.keys":             {"Khóa công bố", "Keys published"},
	"col.revised":          {"Khóa được sửa đổi", "Keys revised"},
	"tr.exports.title":     {"Tệp xuất khóa", "Export files"},
	"tr.exports.intro":     {"Ứng dụng tải các tệp này theo danh mục %s, kiểm tra chữ ký rồi tự so khớp trên điện thoại.", "The apps download these files from the index %s, check the signature, then match on the phone."},
	"tr.exports.caption":   {"Các tệp hiện có trong danh mục", "Files currently in the index"},
	"tr.exports.none":      {"Chưa có tệp nào.", "No files yet."},
	"col.file":             {"Tệp", "File"},
	"col.window":           {"Khoảng thời gian", "Time window"},
	"col.keycount":         {"Số khóa", "Keys"},
	"col.batch":            {"Lô", "Batch"},
	"col.signer":           {"Khóa ký (mã, phiên bản)", "Signing key (id, version)"},
	"tr.pubkeys.title":     {"Khóa công khai", "Public keys"},
	"tr.pubkeys.intro":     {"Khóa công khai để kiểm tra chữ ký của tệp xuất khóa, và của chứng nhận do các cơ quan y tế cấp.", "Public keys to check the signatures of export files and of the certificates health authorities issue."},
	"tr.pubkeys.none":      {"Chưa có khóa nào.", "No keys yet."},
	"use.export":           {"Ký tệp xuất khóa", "Signs export files"},
	"use.certificate":      {"Ký chứng nhận xét nghiệm", "Signs test certificates"},
	"key.valid":            {"Hiệu lực từ %s", "Valid from %s"},
	"key.retired":          {"Hiệu lực từ %s đến %s", "Valid from %s to %s"},
	"tr.protocol.title":    {"Giao thức, nói đơn giản", "The protocol in plain words"},
	"tr.protocol.1":        {"Mỗi ngày điện thoại tạo một khóa ngẫu nhiên. Từ khóa đó, cứ khoảng 10–20 phút nó phát qua Bluetooth một mã định danh mới, không thể lần ngược ra người dùng.", "Each day the phone makes a random key. From it, every 10–20 minutes or so, it broadcasts over Bluetooth a new identifier that cannot be traced back to the user."},
	"tr.protocol.2":        {"Điện thoại ghi lại các mã nó nghe được từ những điện thoại ở gần, cùng cường độ tín hiệu và thời lượng, và chỉ lưu trên máy trong 14 ngày.", "The phone records the identifiers it hears from phones nearby, with signal strength and duration, and keeps them on the phone only, for 14 days."},
	"tr.protocol.3":        {"Khi một người được xác nhận mắc bệnh, cơ sở y tế đưa cho họ một mã xác nhận dùng một lần. Nếu người đó đồng ý, ứng dụng đổi mã lấy chứng nhận có chữ ký và gửi các khóa hằng ngày của 14 ngày gần nhất lên máy chủ.", "When someone is confirmed ill, the health service gives them a one-time code. If they agree, the app trades it for a signed certificate and uploads its daily keys of the last 14 days."},
	"tr.protocol.4":        {"Máy chủ gom các khóa thành tệp, ký bằng khóa riêng của Bộ Y tế và công bố. Khóa chỉ được công bố khi đã hết hạn sử dụng trên điện thoại.", "The server batches the keys into files, signs them with the Ministry of Health's private key and publishes them. A key is published only once the phone has stopped using it."},
	"tr.protocol.5":        {"Mọi điện thoại tải các tệp, kiểm tra chữ ký, tính lại các mã từ khóa và so với những mã mình đã nghe. Việc so khớp diễn ra trên điện thoại; máy chủ không biết ai đã tiếp xúc với ai.", "Every phone downloads the files, checks the signature, recomputes the identifiers from the keys and compares them with those it heard. Matching happens on the phone; the server never learns who met whom."},
	"tr.stores.title":      {"Máy chủ lưu những gì", "What the server stores"},
	"tr.stores.1":          {"Các khóa hằng ngày mà người bệnh đồng ý công bố, kèm ngày bắt đầu, mức rủi ro lây và loại báo cáo; xóa sau 14 ngày.", "The daily keys that confirmed people agreed to publish, with their start, transmission risk and report type; deleted after 14 days."},
	"tr.stores.2":          {"Các tệp xuất khóa đã ký và danh mục của chúng.", "The signed export files and their index."},
	"tr.stores.3":          {"Mã xác nhận dưới dạng băm (không lưu mã gốc), ai cấp và khi nào hết hạn.", "Verification codes as hashes only (never the code itself), who issued them and when they expire."},
	"tr.stores.4":          {"Với thống kê cài đặt: một giá trị băm có khóa của mã cài đặt ngẫu nhiên, tỉnh, quận/huyện (nếu người dùng chọn), nền tảng, phiên bản ứng dụng và ngày gửi tín hiệu gần nhất.", "For install statistics: a keyed hash of the random install token, the province, the district (if the user chose one), platform, app version and the day of the last check-in."},
	"tr.never.title":       {"Máy chủ không bao giờ lưu", "What the server never stores"},
	"tr.never.1":           {"Tên, số điện thoại, số CMND/CCCD hay bất kỳ định danh nào của thiết bị.", "Names, phone numbers, ID card numbers or any device identifier."},
	"tr.never.2":           {"Địa chỉ IP, vị trí GPS, hay giờ phút chính xác của một lần gửi tín hiệu.", "IP addresses, GPS locations, or the exact time of a check-in."},
	"tr.never.3":           {"Các mã Bluetooth mà điện thoại nghe được, và danh sách ai đã tiếp xúc với ai.", "The Bluetooth identifiers a phone heard, or any list of who met whom."},
	"tr.never.4":           {"Mã xác nhận ở dạng gốc.", "Verification codes in clear."},
	"tr.exports.index":     {"Danh mục tệp", "File index"},
	"tr.pubkeys.downloads": {"Tải khóa công khai", "Download the public keys"},

	// Errors.
	"err.title":    {"Không hiển thị được trang", "The page cannot be shown"},
	"err.baddate":  {"Ngày không hợp lệ: cần dạng YYYY-MM-DD và không sau hôm nay.", "Invalid date: use YYYY-MM-DD, not after today."},
	"err.internal": {"Hệ thống đang gặp sự cố, vui lòng thử lại sau ít phút.", "Something went wrong on our side; please try again in a few minutes."},
	"err.notfound": {"Không tìm thấy trang.", "Page not found."},
	"err.home":     {"Về trang toàn quốc", "Go to the national page"},
}
