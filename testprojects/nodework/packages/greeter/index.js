exports.greet = (who) => `hello ${who} from the greeter package`;
