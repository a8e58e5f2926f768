# kaiji — English. Every key here must also exist in ../ja/kaiji.ftl (a test checks).
site-name = kaiji
site-tagline = Personal data rights requests
lang-switch = 日本語
skip-to-content = Skip to content

form-title = Make a request about your personal data
form-intro = Use this form to ask us to show, correct, delete or stop using the personal data we hold about you. We will reply to the email address you give.
form-name = Your name
form-email = Email address
form-request-type = What would you like us to do?
form-request-type-choose = — choose one —
form-message = Details of your request
form-message-hint = Tell us which services or accounts your request is about, and anything that helps us find your data.
form-submit = Send request
form-errors-summary = Please correct the fields marked below. Nothing was sent yet.
form-expired = The form had expired, so nothing was sent. Your entries are kept below: please send again.

type-access = See my data (disclosure / access)
type-correction = Correct my data
type-deletion = Delete my data
type-stop_of_use = Stop using my data
type-purpose_notification = Tell me why my data is used
type-restriction = Restrict the use of my data
type-objection = Object to the use of my data
type-portability = Give me my data to take elsewhere (portability)

error-required = This field is required.
error-too_long = This is too long.
error-invalid_email = Enter a valid email address, like name@example.com.
error-invalid_characters = This contains characters that cannot be accepted.
error-unknown_request_type = Choose one of the listed request types.
error-unknown_language = Choose Japanese (ja) or English (en).
error-password_too_short = Use at least 12 characters.
error-passwords_differ = The two passwords are not the same.

receipt-title = We have received your request
receipt-number = Receipt number
receipt-keep-link = Keep this private link: it is the only way to follow your request online. Anyone with the link can see its progress, so do not share it.
receipt-link = Your private tracking link

track-title = Your request
track-type = Request
track-state = Status
track-received = Received
track-updated = Last change
track-procedure = Procedure
track-closed = This request is closed.

staff-login-title = Staff sign-in
staff-email = Email
staff-password = Password
staff-login-submit = Sign in
staff-login-failed = The email or password is wrong.
staff-logout = Sign out
staff-signed-in-as = Signed in as
staff-nav-queue = Review queue
staff-nav-audit = Audit log

queue-title = Review queue
queue-empty = No requests yet.
queue-receipt = Receipt
queue-type = Request
queue-channel = Channel
queue-state = Status
queue-received = Received

request-title = Request
request-requester = Requester
request-email = Email
request-language = Language
request-message = Details
request-workflow = Workflow
request-version = Record version
request-actions = Actions
request-no-actions = No action is open to you in this state.
request-history = History
request-moved = Done. The request's status is updated below.
request-conflict = Someone else changed this request while you were looking at it. Nothing was saved: review the current state below and act again.
request-refused = That action is not possible now: { $reason }

audit-title = Audit log
audit-when = When (Asia/Tokyo)
audit-action = Action
audit-actor = Actor
audit-request = Request
audit-states = State change
audit-details = Details

setup-title = Create the first administrator
setup-intro = kaiji has no staff account yet. Choose the administrator's email and a password of at least 12 characters. This link works once.
setup-password-confirmation = Password again
setup-submit = Create administrator
setup-invalid = This setup link is invalid, expired or already used. Restart kaiji to print a new one.
setup-done = The administrator account was created. Sign in below.

form-jurisdiction = Where do you live?
form-jurisdiction-hint = This decides which law applies to your request and how long we have to answer.
jurisdiction-japan = Japan
jurisdiction-eea = European Economic Area (EU, Iceland, Liechtenstein, Norway)
jurisdiction-california = California, USA
jurisdiction-canada = Canada
jurisdiction-other = Elsewhere
type-third_party_records = Show the records of my data given to or received from third parties
error-unknown_jurisdiction = Choose one of the listed places.

request-no-email = (none: answers go by post)
request-known = Known
request-deadlines = Deadlines
request-reason = Reason (sent to the requester)
request-diagram = Workflow
request-diagram-alt = The workflow of this request, with its current state highlighted
request-notices = Notices
notice-kind = Notice
notice-channel = Sent by
clock-name = Deadline
clock-started = Started
clock-due = Due
clock-status = Status
clock-running = running
clock-paused = paused (waiting on the requester)
clock-stopped = stopped
clock-overdue = OVERDUE
clock-extended = extended
fact-identity_verified = identity verified
fact-fee_paid = fee paid
fact-documents_complete = documents complete
fact-documents_fresh = documents fresh
fact-electronic_delivery = electronic delivery chosen
error-not_offered_here = This request is not available under the law of the place you chose. Choose another request or place.
request-complaint-authority = Complaints (to name in refusals)
queue-count = Open requests, oldest first: showing { $shown } of { $total }.
