# kaiji — 日本語。キーは ../en/kaiji.ftl と同じにすること（テストで確認しています）。
site-name = kaiji
site-tagline = 個人情報に関する請求の受付
lang-switch = English
skip-to-content = 本文へ移動

form-title = 個人情報に関するご請求
form-intro = 当社が保有するお客様の個人情報について、開示・訂正・削除・利用停止などをご請求いただけます。ご入力のメールアドレスにご連絡します。
form-name = お名前
form-email = メールアドレス
form-request-type = ご請求の内容
form-request-type-choose = — 選択してください —
form-message = ご請求の詳細
form-message-hint = 対象のサービスやアカウントなど、お客様の情報を特定するための事項をご記入ください。
form-submit = 送信する
form-errors-summary = 以下の項目をご確認ください。まだ送信されていません。
form-expired = 入力画面の有効期限が切れたため、送信されていません。入力内容はそのまま残っていますので、もう一度送信してください。

type-access = 保有個人データの開示
type-correction = 内容の訂正・追加・削除
type-deletion = 消去
type-stop_of_use = 利用停止・第三者提供の停止
type-purpose_notification = 利用目的の通知
type-restriction = 処理の制限
type-objection = 処理への異議
type-portability = データポータビリティ（データの移行）

error-required = 入力してください。
error-too_long = 長すぎます。
error-invalid_email = 正しいメールアドレスを入力してください（例: name@example.jp）。
error-invalid_characters = 使用できない文字が含まれています。
error-unknown_request_type = 一覧からご請求の内容を選んでください。
error-unknown_language = 日本語（ja）か英語（en）を指定してください。
error-password_too_short = 12文字以上にしてください。
error-passwords_differ = 2つのパスワードが一致しません。

receipt-title = ご請求を受け付けました
receipt-number = 受付番号
receipt-keep-link = この専用リンクを保存してください。オンラインで進み具合を確認する唯一の方法です。リンクを知っている人は誰でも状況を見られるため、他の人と共有しないでください。
receipt-link = 進み具合の確認用リンク

track-title = ご請求の状況
track-type = ご請求の内容
track-state = 状況
track-received = 受付日時
track-updated = 最終更新
track-procedure = 手続
track-closed = このご請求は完了しています。

staff-login-title = 担当者ログイン
staff-email = メールアドレス
staff-password = パスワード
staff-login-submit = ログイン
staff-login-failed = メールアドレスまたはパスワードが違います。
staff-logout = ログアウト
staff-signed-in-as = ログイン中
staff-nav-queue = 審査キュー
staff-nav-audit = 監査ログ

queue-title = 審査キュー
queue-empty = まだ請求はありません。
queue-receipt = 受付番号
queue-type = 請求内容
queue-channel = 受付経路
queue-state = 状況
queue-received = 受付日時

request-title = 請求
request-requester = 請求者
request-email = メールアドレス
request-language = 言語
request-message = 詳細
request-workflow = ワークフロー
request-version = レコード版
request-actions = 操作
request-no-actions = この状態で実行できる操作はありません。
request-history = 履歴
request-moved = 操作を記録しました。現在の状況は下のとおりです。
request-conflict = 表示中に他の担当者がこの請求を更新しました。保存されていません。現在の状態を確認して、もう一度操作してください。
request-refused = 現在その操作はできません: { $reason }

audit-title = 監査ログ
audit-when = 日時（日本時間）
audit-action = 操作
audit-actor = 実行者
audit-request = 請求
audit-states = 状態の変化
audit-details = 詳細

setup-title = 最初の管理者を作成
setup-intro = まだ担当者アカウントがありません。管理者のメールアドレスと12文字以上のパスワードを設定してください。このリンクは一度だけ使えます。
setup-password-confirmation = パスワード（確認）
setup-submit = 管理者を作成
setup-invalid = このセットアップ用リンクは無効、期限切れ、または使用済みです。kaiji を再起動すると新しいリンクが表示されます。
setup-done = 管理者アカウントを作成しました。ログインしてください。

form-jurisdiction = お住まいの地域
form-jurisdiction-hint = ご請求に適用される法律と回答期限が決まります。
jurisdiction-japan = 日本
jurisdiction-eea = 欧州経済領域（EU・アイスランド・リヒテンシュタイン・ノルウェー）
jurisdiction-california = 米国カリフォルニア州
jurisdiction-canada = カナダ
jurisdiction-other = その他の地域
type-third_party_records = 第三者提供記録の開示
error-unknown_jurisdiction = 一覧から地域を選んでください。

request-no-email = （なし：回答は郵送）
request-known = 確認済み事項
request-deadlines = 期限
request-reason = 理由（請求者に通知されます）
request-diagram = ワークフロー
request-diagram-alt = この請求のワークフロー（現在の状態を強調表示）
request-notices = 通知
notice-kind = 通知の種類
notice-channel = 送付方法
clock-name = 期限
clock-started = 起算日
clock-due = 期日
clock-status = 状態
clock-running = 進行中
clock-paused = 停止中（請求者の対応待ち）
clock-stopped = 終了
clock-overdue = 期限超過
clock-extended = 延長済み
fact-identity_verified = 本人確認済み
fact-fee_paid = 手数料入金済み
fact-documents_complete = 書類完備
fact-documents_fresh = 書類の有効期限内
fact-electronic_delivery = 電磁的方法を希望
error-not_offered_here = お選びの地域の法律では、このご請求は受け付けていません。ご請求の内容または地域を選び直してください。
request-complaint-authority = 苦情申立先（拒否の通知に記載）
queue-count = 未完了の請求（古い順）：{ $total } 件中 { $shown } 件を表示
