package d365

// Version is the version of this SDK. It appears in the User-Agent header of
// every request, as "d365-go/<Version>".
const Version = "0.2.0"
