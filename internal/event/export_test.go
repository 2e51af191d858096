package event

// The page's tables that describe code in packages importing this one;
// the external tests check them against that code.
type (
	FailureCode = failureCode
	DocField    = docField
)

var (
	Codes                  = codes
	StatusMoves            = statusMoves
	NotificationFields     = notificationFields
	NotificationExamples   = notificationExamples
	NotificationType       = notificationType
	NotificationAttrStatus = notificationAttrStatus
	DeadLetterAttributes   = deadLetterAttributes
	JSONType               = jsonType
	UseLaunchFailed        = useLaunchFailed
	UseDeadLetter          = useDeadLetter
	UseRetry               = useRetry
	RunnerPackage          = runnerPackage
)
