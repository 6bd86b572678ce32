using System;

namespace TokenAuth.Http
{
    /// <summary>
    /// What a send uses unless its call says otherwise: the session's options as the sender sees them, so that the
    /// sending layer reads the settings without knowing the engine's options record above it.
    /// </summary>
    internal interface ISendDefaults
    {
        /// <summary>Time allowed for one attempt, body included.</summary>
        TimeSpan Timeout { get; }

        /// <summary>How a call goes when it names no connection of its own.</summary>
        ConnectionSettings Connection { get; }

        /// <summary>Sent with every call whose request names no other.</summary>
        string UserAgent { get; }
    }
}
