//! Who a letter is addressed to. In an agent's case the procedure says whether the desk writes to the
//! agent (at the agent's address) or to the person; either way the letter names both, so that the one
//! who opens it knows whose request it answers.

use super::postal::RequesterKind;

/// A party to a postal request, as recorded from the form.
#[derive(Clone, PartialEq, Eq)]
pub struct Party<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
}

/// A letter's addressee block: the address, the name (to be followed by 様), and the other party.
#[derive(Clone, PartialEq, Eq)]
pub struct Addressee {
    pub name: String,
    pub address: Option<String>,
    /// The other party, as the letter names them under the addressee.
    pub regarding: Option<Regarding>,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Regarding {
    /// Written to the agent: the person they act for.
    Person { name: String, legal: bool },
    /// Written to the person: their agent.
    Agent { name: String, legal: bool },
}

/// Names and addresses never reach a log through `Debug`.
impl std::fmt::Debug for Party<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Party(<redacted>)")
    }
}

impl std::fmt::Debug for Addressee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Addressee")
            .field("regarding", &self.regarding)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Regarding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Regarding::Person { legal, .. } => write!(f, "Regarding::Person(legal: {legal})"),
            Regarding::Agent { legal, .. } => write!(f, "Regarding::Agent(legal: {legal})"),
        }
    }
}

/// The addressee of a letter in a case filed by `kind`. An agent recorded without an address (a letter
/// registered before addresses were asked) is written to at the person's address, still named.
pub fn addressee(
    kind: RequesterKind,
    letters_to_agent: bool,
    person: Party<'_>,
    agent: Option<Party<'_>>,
) -> Addressee {
    let legal = kind == RequesterKind::LegalAgent;
    match (kind, agent) {
        (RequesterKind::Agent | RequesterKind::LegalAgent, Some(agent)) => {
            if letters_to_agent {
                Addressee {
                    name: agent.name.to_owned(),
                    address: agent.address.or(person.address).map(str::to_owned),
                    regarding: Some(Regarding::Person {
                        name: person.name.to_owned(),
                        legal,
                    }),
                }
            } else {
                Addressee {
                    name: person.name.to_owned(),
                    address: person.address.map(str::to_owned),
                    regarding: Some(Regarding::Agent {
                        name: agent.name.to_owned(),
                        legal,
                    }),
                }
            }
        }
        _ => Addressee {
            name: person.name.to_owned(),
            address: person.address.map(str::to_owned),
            regarding: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: Party<'static> = Party {
        name: "山田 花子",
        address: Some("〒100-0001 東京都千代田区千代田1-1"),
    };
    const AGENT: Party<'static> = Party {
        name: "山田 一郎",
        address: Some("〒150-0002 東京都渋谷区渋谷2-1"),
    };

    #[test]
    fn an_agent_s_case_is_written_to_the_agent_naming_the_person() {
        let a = addressee(RequesterKind::LegalAgent, true, PERSON, Some(AGENT));
        assert_eq!(a.name, "山田 一郎");
        assert_eq!(a.address.as_deref(), AGENT.address);
        assert_eq!(
            a.regarding,
            Some(Regarding::Person {
                name: "山田 花子".into(),
                legal: true
            })
        );
    }

    #[test]
    fn or_to_the_person_naming_the_agent() {
        let a = addressee(RequesterKind::Agent, false, PERSON, Some(AGENT));
        assert_eq!(a.name, "山田 花子");
        assert_eq!(a.address.as_deref(), PERSON.address);
        assert_eq!(
            a.regarding,
            Some(Regarding::Agent {
                name: "山田 一郎".into(),
                legal: false
            })
        );
    }

    #[test]
    fn the_person_s_own_case_and_an_agent_without_an_address() {
        let a = addressee(RequesterKind::Person, true, PERSON, None);
        assert_eq!((a.name.as_str(), a.regarding), ("山田 花子", None));
        let no_address = Party {
            address: None,
            ..AGENT
        };
        let a = addressee(RequesterKind::Agent, true, PERSON, Some(no_address));
        assert_eq!(a.address.as_deref(), PERSON.address, "the person's address");
    }
}
