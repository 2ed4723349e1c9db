package portal

import (
	"net/http"
	"time"

	"github.com/bluezone-vn/bluezone/internal/i18n"
)

const (
	langVI = i18n.VI
	langEN = i18n.EN
)

// msg is one user-visible string in both languages.
type msg = i18n.Message

// Locale translates the pages (i18n.Locale over this package's messages):
// Vietnamese by default, English on request (?lang=en, remembered in a
// cookie). It also formats times and names statuses and roles.
type Locale struct{ i18n.Locale }

func newLocale(lang string) Locale { return Locale{i18n.Locale{Lang: lang, Catalog: messages}} }

// DateTime formats a time in Vietnam's zone.
func (l Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if l.Lang == langEN {
		return t.In(Zone).Format("2 Jan 2006 15:04")
	}
	return t.In(Zone).Format("02/01/2006 15:04")
}

// Status names a case status; Role names a role.
func (l Locale) Status(s string) string { return l.T("status." + s) }

// Role names a role.
func (l Locale) Role(r string) string { return l.T("role." + r) }

func (s *Server) pickLocale(w http.ResponseWriter, r *http.Request) Locale {
	lang, remember := i18n.Choose(r, langCookie)
	if remember {
		http.SetCookie(w, s.cookie(langCookie, lang, 365*86400))
	}
	return newLocale(lang)
}

var messages = i18n.Catalog{
	"app":         {"Cổng thông tin Sở Y tế · Bluezone", "Health department portal · Bluezone"},
	"lang.switch": {"English", "Tiếng Việt"},
	"nav.label":   {"Điều hướng chính", "Main navigation"},
	"nav.home":    {"Trang chính", "Home"}, "nav.cases": {"Ca bệnh", "Cases"},
	"nav.reports": {"Báo cáo", "Reports"}, "nav.deployment": {"Triển khai", "Deployment"},
	"nav.users": {"Tài khoản", "Users"}, "nav.audit": {"Nhật ký", "Audit log"}, "nav.account": {"Tài khoản của tôi", "My account"},
	"logout": {"Đăng xuất", "Log out"}, "back.home": {"Về trang chính", "Back to home"},
	"national": {"Toàn quốc", "Whole country"}, "province": {"Tỉnh/thành phố", "Province"},
	"all": {"Tất cả", "All"}, "filter": {"Lọc", "Filter"}, "save": {"Lưu", "Save"},
	"from": {"Từ ngày", "From"}, "to": {"Đến ngày", "To"}, "date": {"Ngày", "Date"}, "total": {"Tổng", "Total"},
	"yes": {"Có", "Yes"}, "no": {"Không", "No"}, "actions": {"Thao tác", "Actions"},
	"next_page": {"Trang sau →", "Next page →"},

	"login.title":    {"Đăng nhập", "Log in"},
	"login.username": {"Tên đăng nhập", "Username"}, "login.password": {"Mật khẩu", "Password"},
	"login.submit": {"Đăng nhập", "Log in"},
	"login.failed": {"Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang tạm khoá. Sau 5 lần sai, tài khoản bị khoá 15 phút.",
		"Wrong username or password, or the account is temporarily locked. After 5 failures the account is locked for 15 minutes."},
	"login.hint": {"Chỉ dành cho cán bộ được cấp tài khoản. Mọi thao tác đều được ghi nhật ký.", "For authorised staff only. Every action is logged."},

	"totp.title":  {"Xác thực hai bước", "Two-step verification"},
	"totp.code":   {"Mã 6 số từ ứng dụng xác thực", "6-digit code from your authenticator app"},
	"totp.submit": {"Xác nhận", "Verify"}, "totp.wrong": {"Mã không đúng.", "Wrong code."},
	"totp.state": {"Xác thực hai bước", "Two-step verification"}, "totp.on": {"Đang bật", "On"}, "totp.off": {"Đang tắt", "Off"},
	"totp.explain": {"Bật xác thực hai bước: mỗi lần đăng nhập cần thêm mã từ ứng dụng xác thực trên điện thoại.",
		"Turn on two-step verification: each login will also need a code from an authenticator app on your phone."},
	"totp.start":  {"Bật xác thực hai bước", "Set up two-step verification"},
	"totp.scan":   {"Quét mã QR bằng ứng dụng xác thực, rồi nhập mã 6 số để xác nhận.", "Scan the QR code with your authenticator app, then type the 6-digit code to confirm."},
	"totp.qr_alt": {"Mã QR để thêm tài khoản vào ứng dụng xác thực", "QR code that adds this account to an authenticator app"},
	"totp.secret": {"Hoặc nhập khoá:", "Or enter the key:"}, "totp.confirm": {"Xác nhận và bật", "Confirm and turn on"},
	"totp.disable": {"Tắt xác thực hai bước", "Turn off two-step verification"},

	"pw.title":   {"Đổi mật khẩu", "Change password"},
	"pw.must":    {"Bạn đang dùng mật khẩu tạm thời. Hãy đặt mật khẩu mới để tiếp tục.", "You are using a temporary password. Choose a new one to continue."},
	"pw.current": {"Mật khẩu hiện tại", "Current password"}, "pw.new": {"Mật khẩu mới (ít nhất 12 ký tự)", "New password (at least 12 characters)"},
	"pw.confirm": {"Nhập lại mật khẩu mới", "Repeat the new password"}, "pw.submit": {"Đổi mật khẩu", "Change password"},
	"pw.wrong_current": {"Mật khẩu hiện tại không đúng.", "The current password is wrong."},
	"pw.mismatch":      {"Hai mật khẩu mới không khớp.", "The two new passwords differ."},
	"pw.same":          {"Mật khẩu mới phải khác mật khẩu cũ.", "The new password must differ from the old one."},

	"home.title": {"Trang chính", "Home"}, "home.today": {"Hôm nay", "Today"},
	"account.title": {"Tài khoản của tôi", "My account"},

	"cases.title": {"Sổ ca bệnh", "Case registry"}, "cases.new": {"Ghi nhận ca mới", "Record a case"},
	"cases.none":     {"Chưa có ca nào.", "No cases."},
	"case_new.title": {"Ghi nhận ca mới", "Record a case"}, "case.title": {"Ca bệnh", "Case"},
	"case.no_names": {"Không ghi họ tên, số điện thoại, địa chỉ hay số giấy tờ của người bệnh ở bất kỳ ô nào. Chỉ dùng mã số ca.",
		"Do not write the person's name, phone number, address or ID number in any field. Use the case reference number only."},
	"case.ref":      {"Mã số ca", "Reference number"},
	"case.ref_hint": {"Ví dụ BN-67-0123. Chữ, số và - / . _ ; tối đa 32 ký tự.", "E.g. BN-67-0123. Letters, digits and - / . _ ; at most 32 characters."},
	"case.district": {"Quận/huyện", "District"}, "case.status": {"Tình trạng", "Status"},
	"case.test_date": {"Ngày xét nghiệm", "Test date"}, "case.onset_date": {"Ngày khởi phát triệu chứng", "Symptom onset"},
	"case.notes":      {"Ghi chú", "Notes"},
	"case.notes_hint": {"Tối đa %d ký tự. Không ghi tên hay số điện thoại.", "At most %d characters. No names or phone numbers."},
	"case.save":       {"Lưu ca", "Save case"}, "case.created": {"Ngày ghi nhận", "Recorded"},
	"case.change": {"Đổi tình trạng", "Change status"}, "case.new_status": {"Tình trạng mới", "New status"},

	"status.suspected": {"Nghi nhiễm", "Suspected"}, "status.contact": {"F1 (tiếp xúc gần)", "Contact (F1)"},
	"status.confirmed": {"F0 (xác nhận)", "Confirmed (F0)"}, "status.negative": {"Âm tính", "Negative"},
	"status.released": {"Hết cách ly", "Released"},

	"role.national_admin": {"Quản trị quốc gia", "National administrator"},
	"role.province_admin": {"Quản trị tỉnh", "Province administrator"},
	"role.case_worker":    {"Cán bộ dịch tễ", "Case worker"}, "role.campaign_officer": {"Cán bộ triển khai", "Campaign officer"},
	"role.viewer": {"Chỉ xem", "Viewer"},

	"code.title": {"Mã xác nhận", "Verification code"}, "code.issue": {"Cấp mã xác nhận", "Issue a verification code"},
	"code.type": {"Loại", "Type"}, "tt.confirmed": {"Đã xác nhận", "Confirmed"}, "tt.likely": {"Nghi nhiễm", "Likely"},
	"tt.contact":      {"Tiếp xúc (F1)", "Contact (F1)"},
	"code.authorise":  {"F1 này được phép cảnh báo những người đã tiếp xúc với mình", "This F1 is authorised to warn their own contacts"},
	"code.phone":      {"Số điện thoại để gửi SMS (không bắt buộc, không được lưu)", "Phone number for an SMS (optional, not stored)"},
	"code.phone_hint": {"Số chỉ dùng để gửi tin nhắn này rồi bị xoá.", "The number is used for this message only and then forgotten."},
	"code.msg_lang":   {"Ngôn ngữ tin nhắn", "Message language"},
	"code.history":    {"Các mã đã cấp", "Codes issued"}, "code.issued_at": {"Cấp lúc", "Issued"},
	"code.state": {"Trạng thái", "State"}, "code.until": {"hết hạn", "expires"}, "code.expire": {"Huỷ mã", "Expire"},
	"code.none":  {"Chưa cấp mã.", "No codes yet."},
	"cs.pending": {"Chưa dùng", "Not used yet"}, "cs.claimed": {"Đã dùng", "Claimed"}, "cs.expired": {"Hết hạn", "Expired"},
	"code.once":  {"Mã chỉ hiện một lần và không được lưu. Hãy đọc hoặc gửi cho người bệnh ngay.", "The code is shown once and not stored. Read it out or send it now."},
	"code.short": {"Mã 8 số", "8-digit code"}, "code.long": {"Mã dài", "Long code"},
	"code.qr_alt": {"Mã QR mở ứng dụng Bluezone với mã xác nhận", "QR code that opens Bluezone with the verification code"},
	"code.link":   {"Liên kết ứng dụng", "App link"}, "code.https_link": {"Liên kết web", "Web link"},
	"code.text": {"Nội dung đọc hoặc gửi cho người bệnh", "Text to read out or send"},
	"code.sms": {"Bluezone: Ma xac nhan cua ban la %s (dung trong %d phut). Hoac mo lien ket trong %[4]d gio: %[3]s . Khong chia se ma nay.",
		"Bluezone: your verification code is %s (valid for %d minutes). Or open this link within %[4]d hours: %[3]s . Do not share this code."},
	"code.sms_sent": {"Đã gửi SMS.", "SMS sent."}, "code.sms_failed": {"Gửi SMS không thành công; hãy đọc mã cho người bệnh.", "The SMS failed; read the code out instead."},
	"code.back": {"Quay lại ca bệnh", "Back to the case"},

	"report.title": {"Báo cáo hằng ngày", "Daily report"}, "report.csv": {"Tải CSV", "Download CSV"},
	"report.by_district": {"Theo quận/huyện", "By district"}, "report.by_province": {"Theo tỉnh/thành phố", "By province"},
	"report.by_day":       {"Theo ngày", "By day"},
	"report.no_keys":      {"Số khoá được công bố chưa có: máy chủ khoá chưa cung cấp số liệu này.", "Keys published are not available: the key server does not report them yet."},
	"report.verification": {"Theo dịch vụ xác nhận (mọi kênh, ngày UTC)", "From the verification service (all channels, UTC days)"},
	"col.confirmed":       {"F0 mới", "New confirmed"}, "col.suspected": {"Nghi nhiễm mới", "New suspected"},
	"col.contacts": {"F1 mới", "New contacts"}, "col.issued": {"Mã đã cấp", "Codes issued"},
	"col.claimed": {"Mã đã dùng", "Codes claimed"}, "col.keys": {"Khoá công bố", "Keys published"},

	"audit.title": {"Nhật ký thao tác", "Audit log"}, "audit.user": {"Người dùng", "User"}, "audit.action": {"Thao tác", "Action"},
	"audit.when": {"Thời điểm", "When"}, "audit.target": {"Đối tượng", "Target"}, "audit.detail": {"Chi tiết", "Detail"},
	"audit.none":     {"Không có mục nào.", "No entries."},
	"audit.readonly": {"Nhật ký chỉ được ghi thêm; không ai sửa hay xoá được từ cổng này.", "The log is append-only; nobody can edit or delete it from the portal."},

	"users.title": {"Quản lý tài khoản", "Users"}, "users.new": {"Tạo tài khoản", "New user"},
	"users.create": {"Tạo", "Create"}, "users.created": {"Đã tạo tài khoản", "Created user"},
	"users.temp_pw": {"Mật khẩu tạm (chỉ hiện một lần, trao tận tay):", "Temporary password (shown once, hand it over in person):"},
	"users.hint":    {"Người dùng phải đổi mật khẩu tạm khi đăng nhập lần đầu.", "Users must change the temporary password at first login."},
	"user.title":    {"Tài khoản", "User"}, "user.username": {"Tên đăng nhập", "Username"}, "user.role": {"Vai trò", "Role"},
	"user.realm": {"Phạm vi", "Realm"}, "user.state": {"Trạng thái", "State"},
	"user.active": {"Hoạt động", "Active"}, "user.locked": {"Tạm khoá", "Locked"}, "user.disabled": {"Đã vô hiệu", "Disabled"},
	"user.must_change":  {"phải đổi mật khẩu", "must change password"},
	"user.district_opt": {"Quận/huyện (chỉ cán bộ dịch tễ, không bắt buộc)", "District (case workers only, optional)"},
	"user.change_role":  {"Đổi vai trò", "Change role"}, "user.reset": {"Đặt lại mật khẩu", "Reset password"},
	"user.unlock": {"Mở khoá", "Unlock"}, "user.disable": {"Vô hiệu hoá", "Disable"}, "user.enable": {"Kích hoạt lại", "Enable"},
	"user.totp_reset": {"Gỡ xác thực hai bước", "Remove two-step verification"},

	"deploy.title": {"Triển khai cài đặt", "App deployment"}, "deploy.campaign": {"Đợt triển khai", "Campaign"},
	"deploy.no_campaign": {"Chưa có đợt triển khai.", "No campaign yet."}, "deploy.reports_due": {"hạn báo cáo", "reports due"},
	"deploy.totals": {"Đã cài / tổng số cán bộ", "Installed / staff"}, "deploy.reported": {"Đã báo cáo", "Reported"},
	"deploy.late": {"Trễ hạn", "Late"}, "deploy.agency": {"Cơ quan, đơn vị", "Agency"}, "deploy.staff": {"Số cán bộ", "Staff"},
	"deploy.installed": {"Số đã cài", "Installed"}, "deploy.none": {"Chưa có đơn vị.", "No agencies."},
	"deploy.report": {"Nhập báo cáo đơn vị", "Enter a unit report"}, "deploy.add_agency": {"Thêm đơn vị", "Add an agency"},
	"deploy.add_campaign": {"Thêm đợt triển khai", "Add a campaign"}, "deploy.start": {"Bắt đầu", "Start"},
	"deploy.guidance_due": {"Hạn hướng dẫn", "Guidance due"}, "deploy.target": {"Chỉ tiêu", "Target"},
	"deploy.target_rate": {"Tỷ lệ (%)", "Rate (%)"}, "deploy.denominator": {"Tính trên", "Of"},
	"deploy.target_date": {"Hạn đạt", "By"},
	"kind.population":    {"Dân số", "Population"}, "kind.adults": {"Người trưởng thành", "Adults"}, "kind.smartphones": {"Điện thoại thông minh", "Smartphones"},

	"ok.case_created": {"Đã lưu ca.", "Case saved."}, "ok.case_updated": {"Đã đổi tình trạng.", "Status changed."},
	"ok.code_expired": {"Đã huỷ mã.", "Code expired."}, "ok.pw_changed": {"Đã đổi mật khẩu.", "Password changed."},
	"ok.totp_enabled":  {"Đã bật xác thực hai bước.", "Two-step verification is on."},
	"ok.totp_disabled": {"Đã tắt xác thực hai bước.", "Two-step verification is off."},
	"ok.user_saved":    {"Đã lưu.", "Saved."}, "ok.deploy_saved": {"Đã lưu.", "Saved."},

	"err.title":     {"Lỗi", "Error"},
	"err.forbidden": {"Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."},
	"err.not_found": {"Không tìm thấy.", "Not found."}, "err.bad_request": {"Yêu cầu không hợp lệ.", "Invalid request."},
	"err.internal":           {"Có lỗi xảy ra; hãy thử lại.", "Something went wrong; please try again."},
	"err.ref":                {"Mã số ca không hợp lệ.", "Invalid reference number."},
	"err.ref_phone":          {"Mã số ca trông như số điện thoại; không được dùng số điện thoại.", "The reference looks like a phone number; phone numbers are not allowed."},
	"err.ref_taken":          {"Mã số ca đã có trong tỉnh.", "This reference number already exists in the province."},
	"err.district":           {"Chọn quận/huyện của tỉnh.", "Choose a district of the province."},
	"err.date":               {"Ngày không hợp lệ (không được ở tương lai, không quá một năm).", "Invalid date (not in the future, at most a year ago)."},
	"err.notes_long":         {"Ghi chú dài quá %d ký tự.", "Notes are longer than %d characters."},
	"err.notes_phone":        {"Ghi chú có vẻ chứa số điện thoại; không được ghi số điện thoại.", "The notes seem to hold a phone number; phone numbers are not allowed."},
	"err.notes_control":      {"Ghi chú chứa ký tự không hợp lệ.", "The notes hold invalid characters."},
	"err.status":             {"Tình trạng không hợp lệ.", "Invalid status."},
	"err.transition":         {"Không được đổi sang tình trạng này.", "This status change is not allowed."},
	"err.contact_auth":       {"Cần xác nhận F1 được phép cảnh báo người tiếp xúc.", "Confirm that the F1 is authorised to warn their contacts."},
	"err.no_code_for_status": {"Ca ở tình trạng này không được cấp mã.", "No code is issued for a case in this status."},
	"err.phone":              {"Số điện thoại không hợp lệ (10 số, bắt đầu bằng 0 hoặc +84).", "Invalid phone number (10 digits starting with 0, or +84)."},
	"err.issue":              {"Không cấp được mã:", "Could not issue a code:"},
	"err.code_settled":       {"Mã đã được dùng hoặc đã hết hạn.", "The code was already claimed or has expired."},
	"err.deploy":             {"Không lưu được:", "Not saved:"}, "err.number": {"Số không hợp lệ.", "Invalid number."},
	"err.username":    {"Tên đăng nhập: 2–32 ký tự a-z, 0-9, . _ -", "Username: 2–32 characters a-z, 0-9, . _ -"},
	"err.user_exists": {"Tên đăng nhập đã có.", "This username exists."},
	"err.role":        {"Vai trò không hợp lệ.", "Invalid role."},
	"err.role_realm":  {"Vai trò này không dùng được với phạm vi đã chọn.", "This role does not go with the chosen realm."},
	"err.realm":       {"Phạm vi không hợp lệ.", "Invalid realm."},
	"err.pw_short":    {"Mật khẩu phải có ít nhất %d ký tự.", "The password needs at least %d characters."},
	"err.pw_long":     {"Mật khẩu dài quá 128 ký tự.", "The password is longer than 128 characters."},
	"err.pw_username": {"Mật khẩu không được chứa tên đăng nhập.", "The password must not contain the username."},
}
