using Treue.Server.Features.Privacy;
using Treue.Storage.Entities;

namespace Treue.Server.Web.Shared;

/// <summary>Consents, their records and data requests in the reader's language, for the portal and the console.</summary>
public static class ConsentWords
{
    public static string Name(Loc l, ConsentPurpose purpose) => purpose switch
    {
        ConsentPurpose.EmailMarketing => l["Marketing by e-mail"],
        ConsentPurpose.Profiling => l["Personal offers from my purchases"],
        _ => l["Sharing with partners"],
    };

    public static string Source(Loc l, ConsentSource source) => source switch
    {
        ConsentSource.Till => l["at the till"],
        ConsentSource.Portal => l["in the portal"],
        ConsentSource.Console => l["by staff"],
        _ => l["imported"],
    };

    /// <summary>"Marketing by e-mail: given at the till (text 2026-01)".</summary>
    public static string Record(Loc l, ConsentRecordView r)
    {
        var what = r.Change switch
        {
            ConsentChange.Granted => l.Format("{0}: given", Name(l, r.Purpose!.Value)),
            ConsentChange.Withdrawn => l.Format("{0}: withdrawn", Name(l, r.Purpose!.Value)),
            _ => l["Objected to marketing"],
        };
        return l.Format("{0} {1} (text {2})", what, Source(l, r.Source), r.TextVersion);
    }

    public static string Kind(Loc l, DataRequestKind kind) => kind == DataRequestKind.Access ? l["Access (a copy of the data)"] : l["Erasure"];
}
