## The printed letters (Japanese, A4), composed by src/i18n/letter.rs.
## Each notice kind has a title and a first paragraph (`-body`), and may have a second (`-note`).
## Arguments: $about (the opening clause below), $received (date of receipt), $kind (the right asked for),
## $receipt (receipt number), $requester (the requester's name).

letter-about = { $received }付けで受け付けました{ $kind }のご請求（受付番号 { $receipt }）について、

## Each kind's letter.

letter-received-title = ご請求の受付について
letter-received-body = { $received }付けで{ $kind }のご請求を受け付けました。受付番号は{ $receipt }です。お問い合わせの際はこの番号をお知らせください。
letter-received-note = ご本人確認のうえ、遅滞なく対応いたします。

letter-identity_requested-title = ご本人確認のお願い
letter-identity_requested-body = { $about }ご本人確認のため、追加の情報をお願いいたします。

letter-documents_requested-title = 不足書類のご送付のお願い
letter-documents_requested-body = { $about }同封いただいた本人確認書類に不足または不備がありました。下記の書類を郵送でお送りください。
letter-documents_requested-note = 書類が届くまでの間、回答期限の計算を停止しています。

letter-invoice-title = 手数料のご請求（請求書）
letter-invoice-body = { $about }下記のとおり手数料をご請求いたします。お振り込みの際は、振込依頼人名の前に下記の番号（請求番号の数字）をご入力ください。振込手数料はご負担願います。
letter-invoice-note = 入金を確認した後、回答書をお送りします。

letter-payment_received-title = 手数料の入金確認のお知らせ
letter-payment_received-body = { $about }手数料の入金を確認いたしました。回答の準備ができ次第お送りします。

letter-payment_short-title = 手数料の不足について
letter-payment_short-body = { $about }お振り込みいただいた金額が請求額に足りませんでした。不足額をお振り込みください。

letter-delivery_method_changed-title = 開示の方法について
letter-delivery_method_changed-body = { $about }電磁的方法による開示をご希望いただきましたが、下記の理由によりその方法による開示が困難であるため、個人情報保護法第33条第2項の定めにより、書面（配達証明付書留郵便）の交付により開示いたします（同条第3項に基づくご通知）。
letter-deadline_extended-title = 回答期限の延長について
letter-deadline_extended-body = { $about }下記の理由により回答期限を延長させていただきます。

letter-answer_ready-title = 回答のご案内（電磁的方法）
letter-answer_ready-body = { $about }ご希望のとおり電磁的方法により回答いたします。下記のアドレスから回答書をダウンロードしてください。

letter-answer_dispatched-title = 回答書の送付について
letter-answer_dispatched-body = { $about }回答書を配達証明付書留郵便にてお送りしました。

letter-action_completed-title = ご請求への対応完了のお知らせ
letter-action_completed-body = { $about }下記のとおり対応いたしました。

letter-refused-title = ご請求に応じられない旨のご通知
letter-refused-body = { $about }ご請求に応じられないことをお知らせします。その理由は下記のとおりです。

letter-no_data_held-title = 保有個人データが存在しない旨のご通知
letter-no_data_held-body = { $about }お調べしましたところ、ご請求に該当する保有個人データは当社に存在しませんでした。

letter-referral-title = 株主様の個人情報に関するご請求について
letter-referral-body = { $about }株主様に関する個人情報は、当社の株主名簿管理人が管理しております。
letter-referral-agent = お手数ですが、{ $agent }へ直接ご請求ください。

letter-email_confirmation-title = メールアドレスの確認のお願い
letter-email_confirmation-body = { $received }付けで{ $kind }のご請求を受け付けました（受付番号 { $receipt }）。ご請求者ご本人のメールアドレスであることを確認するため、下記のアドレスを開き、確認ボタンを押してください。
letter-email_confirmation-note = 確認されない場合、ご請求は期限の経過により終了します。

letter-person_confirmation-title = 代理人によるご請求の確認のお願い
letter-person_confirmation-body = { $received }付けで、あなたの個人情報について代理人（{ $requester }様）から{ $kind }のご請求を受け付けました（受付番号 { $receipt }）。ご本人の意思によるご請求であれば、下記のアドレスを開いて確認ボタンを押してください。お心当たりがない場合は、何もせず当窓口にご連絡ください。

letter-identity_not_verified-title = ご本人確認ができなかった旨のご通知
letter-identity_not_verified-body = { $about }ご本人であることを確認できなかったため、ご請求に応じることができません。個人情報の開示・削除等は一切行っていません。
letter-identity_not_verified-note = 改めてご請求いただく際は、ご登録のアカウントにログインしたうえでご請求いただくか、当社が保有する情報と照合できる事項（電話番号、郵便番号、直近のご注文番号など）をお知らせください。

letter-download_expiring-title = 回答のダウンロード期限が近づいています
letter-restriction_lifting-title = 利用制限の解除についてのお知らせ
letter-restriction_lifting-body = { $about }ご請求により制限しておりましたお客様の個人データの取扱いについて、下記の日をもって制限を解除いたしますので、解除に先立ちお知らせいたします。
letter-download_expiring-body = { $about }お送りした回答のダウンロード用リンクの有効期限が近づいています。期限を過ぎると回答データは消去されますので、お早めにダウンロードしてください。

# Staff notices go by email only; a letter would name the request and nothing more.
letter-staff-title = 担当者への通知
letter-staff-body = 受付番号 { $receipt } のご請求についての社内通知です。

letter-unconfirmed_expired-title = ご請求の終了について（メールアドレス未確認）
letter-unconfirmed_expired-body = { $about }メールアドレスの確認が期限内に行われなかったため、ご請求を終了しました。改めてご請求いただけます。
letter-withdrawn-title = ご請求の取下げについて
letter-withdrawn-body = { $about }お申し出により取り下げられましたので、ご請求の手続を終了しました。今後このご請求について対応することはありません。改めてご請求いただくことはいつでも可能です。
letter-tracking_link-title = ご請求の確認用リンクについて
letter-tracking_link-body = { $about }確認用リンクの再送のご依頼がありました。ご請求の状況は、受付番号を添えて当窓口までお問い合わせください。
letter-appeal_received-title = 不服申立ての受付について
letter-appeal_received-body = { $about }当社の判断に対する不服申立てを受け付けました。審査のうえ、法令の定める期間内に結果と理由をお知らせします。

letter-channel_not_accepted-title = ご請求を受け付けられない旨のご通知
letter-channel_not_accepted-body = { $received }に届いたご請求は、当社が定める方法（所定の請求書に必要書類を同封し、簡易書留または配達証明付書留郵便で送付）によるものではないため、受け付けることができません。
letter-channel_not_accepted-note = お手数ですが、所定の方法で改めてご請求ください。請求書の様式は当社ウェブサイトから印刷できます。

## Paragraphs several letters share.

# Where the requester may turn about a decision ($what: this extension, this decision).
letter-where-to-turn = { $what }についてご不明な点は当窓口に、または{ $authority }にご相談いただけます。
letter-this-extension = この延長
letter-this-decision = この決定
letter-this-answer = この回答
letter-partial-refusal = ご請求の一部には応じられません。その部分と理由は次のとおりです：{ $part }

## Rows of particulars and list headings.

letter-row-invoice-number = 請求番号
letter-row-tax = 適用税率・消費税額
letter-tax = { $rate }%対象 { $amount }（うち消費税等 { $tax }）
letter-row-registration-number = 登録番号（適格請求書発行事業者）
letter-row-transfer-code = 振込時にご入力いただく番号
letter-row-amount-with-tax = ご請求額（税込）
letter-amount-per-service = { $amount }（{ $unit } × { $services }サービス）
letter-row-due-on = お支払期限
letter-row-bank-account = お振込先
letter-row-amount = ご請求額
letter-row-paid = ご入金額
letter-row-shortfall = 不足額
letter-row-extended-due = 延長後の回答期限
letter-row-download-url = ダウンロード先
letter-row-expires-at = 有効期限
letter-row-tracking-number = お問い合わせ番号
letter-row-dispatched-on = 発送日
letter-row-confirm-url = 確認用アドレス
letter-row-reason = 理由
letter-row-system = 対象システム
letter-row-lifted-on = 制限解除日
letter-row-ground = 根拠
letter-row-answer-due = 回答予定日
# How identity will be verified (CCPA §7021(a), §7062).
letter-verification = ご本人確認の方法：お客様に関する情報を{ $points }点ご提供いただき、当社の記録と照合します{ $declaration ->
    [yes] 。あわせて、ご請求の対象となるご本人であることを偽証罪の制裁のもとで宣誓する書面への署名をお願いします。
   *[no] 。
}
letter-list-documents = お送りいただく書類
letter-list-actions = 対応の内容
letter-list-provision-records = 第三者提供記録（法第33条第5項）の内容
letter-provision-period = { $first }から{ $last }まで
letter-provision-representative = 代表者 { $name }
letter-provision-provided = 【提供】{ $when }　提供先：{ $counterparty }　本人：{ $person }　項目：{ $items }　根拠：{ $basis }
letter-provision-received = 【受領】{ $when }　提供元：{ $counterparty }　本人：{ $person }　項目：{ $items }　提供元の取得の経緯：{ $how }　根拠：{ $basis }

## Missing or faulty identity documents ($what: whose document, and which kinds).

letter-document-principal = ご本人の{ $kinds }
letter-document-agent = 代理人の{ $kinds }
letter-problem-not_original = { $what }（原本が必要です。写しは受け付けられません）
letter-problem-date_missing = { $what }（作成日を確認できませんでした）
letter-problem-stale = { $what }（作成日が{ $created }のため古すぎます。{ $earliest }以降に作成されたものをお送りください）
letter-problem-rejected = { $what }（お送りいただいた書類は、次の理由によりお受けできませんでした：{ $reason }）
letter-problem-not_yet_accepted = { $what }（この書類は{ $from }以降のご請求から本人確認書類として取り扱います。他の書類をお送りください）
letter-document-any = 本人確認書類
letter-problem-not_accepted = { $what }（この書類は{ $until }をもって本人確認書類としての取扱いを終了しました。他の書類をお送りください）
letter-problem-dated_after_request = { $what }（作成日が請求日より後になっています）
letter-problem-missing = { $what }（同封されていませんでした）

## What was done, system by system and item by item.

letter-system-erased = { $system }：復元できない方法で消去しました
letter-system-erased-by = { $system }：復元できない方法で消去しました（方法：{ $method }）
letter-system-retained = { $system }：次の法的根拠により一部のデータを保持しています（{ $ground }）
letter-system-exported = { $system }：保有するデータを回答に含めました
letter-system-no_data = { $system }：該当するデータはありませんでした
letter-system-pending = { $system }：対応中
letter-system-rectified = { $system }：上記のとおり訂正しました
letter-system-restricted = { $system }：取扱いを制限しました（保存を除き利用しません）
letter-system-restricted-allowing = { $system }：取扱いを制限しました（保存のほか、次の目的に限り取り扱います：{ $allowed }）
letter-system-stopped = { $system }：次の目的での利用を停止しました（{ $purposes }）
letter-system-withheld = { $system }：次の理由により開示しておりません（{ $ground }）
letter-system-declined = { $system }：次の理由により対応しておりません（{ $ground }）
letter-system-held = { $system }：お客様に関するデータを保有しています（利用目的：{ $purposes }）
letter-system-recipients-told = { $system }：提供先（{ $recipients }）にも同じ対応を求めました
letter-change-corrected = { $item }：「{ $prior }」を「{ $new }」に訂正しました
letter-change-deleted = { $item }：消去しました
letter-change-stopped = { $item }：利用および第三者への提供を停止しました

letter-appeal = この決定に不服がある場合は、追跡ページの「{ $action }」から、または受付番号を記載した書面によりお申し立てください。申立てについては、理由を付して書面で決定します。
# お問い合わせ・苦情の書面（メールアドレスのない方へ）
letter-inquiry_acknowledged-title = { $kind }の受付について
letter-inquiry_acknowledged-body = { $received }にお寄せいただいた{ $kind }を受け付けました。内容を確認のうえ、下記の回答予定日までに書面にて回答いたします。ご連絡の際は受付番号をお知らせください。
letter-inquiry_answered-title = { $kind }への回答について
letter-inquiry_answered-body = { $received }にお寄せいただいた{ $kind }について、次のとおり回答いたします。
letter-row-inquiry-reference = 受付番号
letter-row-inquiry-subject = 件名
