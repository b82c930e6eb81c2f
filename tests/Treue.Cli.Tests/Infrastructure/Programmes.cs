namespace Treue.Cli.Tests.Infrastructure;

/// <summary>Programme documents used by the tests, as the JSON a user writes.</summary>
public static class Programmes
{
    /// <summary>A EUR shop with one partner and store and triple points on Saturdays.</summary>
    public const string Shop = """
        {
          "code": "shop",
          "name": "Corner Shop",
          "currency": "EUR",
          "partners": [
            { "code": "main", "name": "Corner Shop Ltd", "stores": [ { "code": "high-street", "name": "High Street" } ] }
          ],
          "rules": [
            {
              "code": "saturday", "name": "3x points on Saturdays", "priority": 10, "stacking": "stack",
              "conditions": { "weekdays": ["saturday"] },
              "effect": { "kind": "multiplier", "value": 3 }
            }
          ]
        }
        """;

    /// <summary>
    /// CDNOW as a USD programme: 1 point per dollar rounded down, triple points on Saturdays (the rule adds
    /// floor(2 × value)) and a 50-point welcome bonus on each member's first purchase.
    /// </summary>
    public const string Cdnow = """
        {
          "code": "cdnow",
          "name": "CDNOW",
          "currency": "USD",
          "baseRate": 1,
          "rounding": "down",
          "partners": [ { "code": "cdnow", "name": "CDNOW" } ],
          "rules": [
            {
              "code": "saturday", "name": "3x points on Saturdays", "priority": 10, "stacking": "stack",
              "conditions": { "weekdays": ["saturday"] },
              "effect": { "kind": "multiplier", "value": 3 }
            },
            {
              "code": "welcome", "name": "Welcome bonus", "priority": 5, "stacking": "stack",
              "conditions": { "firstPurchaseOnly": true },
              "effect": { "kind": "fixedBonus", "value": 50 }
            }
          ]
        }
        """;
}
